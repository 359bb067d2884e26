// Message segmentation and formatting (webview/shared/render.ts): pure, so plain Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDay, safeHref, segmentText, truncateForDisplay, type Segment } from '../../webview/shared/render';

const text = (t: string): Segment => ({ kind: 'text', text: t });

/** Joined back, the segments must always give the original characters (nothing dropped, nothing added). */
function visible(segs: Segment[]): string {
  return segs.map((s) => (s.kind === 'inlineCode' ? `\`${s.text}\`` : s.text)).join('');
}

test('plain text is one text segment', () => {
  assert.deepEqual(segmentText('hello world'), [text('hello world')]);
  assert.deepEqual(segmentText(''), []);
});

test('hostile markup stays literal text', () => {
  for (const hostile of [
    '<img src=x onerror=alert(1)>',
    '<script>alert(1)</script>',
    '![x](data:image/png;base64,AAAA)',
    '<a href="javascript:alert(1)">click</a>',
    '&lt;b&gt; &amp; <b>bold</b>',
    '<svg/onload=alert(1)>',
    '<iframe srcdoc="<script>alert(1)</script>">',
  ]) {
    const segs = segmentText(hostile);
    assert.ok(segs.every((s) => s.kind === 'text'), hostile);
    assert.equal(visible(segs), hostile);
  }
});

test('a markdown image only links its http URL, as a link, never an image', () => {
  const segs = segmentText('![x](http://evil/x.png)');
  assert.deepEqual(segs, [text('![x]('), { kind: 'link', text: 'http://evil/x.png', href: 'http://evil/x.png' }, text(')')]);
});

test('http and https URLs become links; trailing punctuation stays text', () => {
  assert.deepEqual(segmentText('see https://example.org/a?b=1#c, then http://x.test.'), [
    text('see '),
    { kind: 'link', text: 'https://example.org/a?b=1#c', href: 'https://example.org/a?b=1#c' },
    text(', then '),
    { kind: 'link', text: 'http://x.test', href: 'http://x.test/' },
    text('.'),
  ]);
});

test('balanced parentheses belong to the URL, an unbalanced one does not', () => {
  const wiki = 'https://en.wikipedia.org/wiki/Off-the-record_messaging_(protocol)';
  assert.deepEqual(segmentText(`(${wiki})`), [text('('), { kind: 'link', text: wiki, href: wiki }, text(')')]);
  assert.deepEqual(segmentText('(see https://a.test/x)'), [text('(see '), { kind: 'link', text: 'https://a.test/x', href: 'https://a.test/x' }, text(')')]);
});

test('javascript:, data:, file: and other schemes are never linked', () => {
  for (const s of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<script>alert(1)</script>', 'file:///etc/passwd', 'vbscript:msgbox', 'xmpp:alice@example.org', 'ftp://x.test/']) {
    const segs = segmentText(s);
    assert.ok(segs.every((x) => x.kind === 'text'), s);
  }
  // A scheme hidden in front of an http URL: only the real http URL is linked.
  const segs = segmentText('javascript:fetch("http://evil.test/x")');
  const links = segs.filter((x) => x.kind === 'link');
  assert.deepEqual(links.map((l) => (l.kind === 'link' ? l.href : '')), ['http://evil.test/x']);
  assert.equal(visible(segs), 'javascript:fetch("http://evil.test/x")');
});

test('safeHref accepts only well-formed http(s) URLs', () => {
  assert.equal(safeHref('https://example.org'), 'https://example.org/');
  assert.equal(safeHref('http://'), undefined);
  assert.equal(safeHref('javascript:alert(1)'), undefined);
  assert.equal(safeHref('https://exa mple.org'), undefined);
});

test('fenced code blocks with and without a language', () => {
  assert.deepEqual(segmentText('look:\n```ts\nconst x = 1;\n```\ndone'), [text('look:\n'), { kind: 'code', text: 'const x = 1;', lang: 'ts' }, text('\ndone')]);
  assert.deepEqual(segmentText('```\n<b>not bold</b>\n```'), [{ kind: 'code', text: '<b>not bold</b>' }]);
  assert.deepEqual(segmentText('```one line```'), [{ kind: 'code', text: 'one line' }]);
  assert.deepEqual(segmentText('```c++\nint main() {}\n```'), [{ kind: 'code', text: 'int main() {}', lang: 'c++' }]);
  // Windows line endings.
  assert.deepEqual(segmentText('```py\r\nprint(1)\r\n```'), [{ kind: 'code', text: 'print(1)', lang: 'py' }]);
});

test('URLs and inline code inside a fence are not interpreted', () => {
  assert.deepEqual(segmentText('```\nhttps://example.org `x`\n```'), [{ kind: 'code', text: 'https://example.org `x`' }]);
});

test('an unclosed fence is literal text', () => {
  const s = '```js\nconst a = 1;';
  assert.deepEqual(segmentText(s), [text(s)]);
});

test('a language line that is not a language is code', () => {
  assert.deepEqual(segmentText('```echo hi there\nls\n```'), [{ kind: 'code', text: 'echo hi there\nls' }]);
  // Hostile "language" never becomes an attribute-like token.
  const segs = segmentText('```"><script>\nx\n```');
  assert.equal(segs.length, 1);
  assert.equal(segs[0]!.kind, 'code');
  assert.equal((segs[0] as { lang?: string }).lang, undefined);
});

test('inline code spans, not across lines, not empty', () => {
  assert.deepEqual(segmentText('run `npm test` now'), [text('run '), { kind: 'inlineCode', text: 'npm test' }, text(' now')]);
  assert.deepEqual(segmentText('a `b\nc` d'), [text('a `b\nc` d')]);
  assert.deepEqual(segmentText('empty `` here'), [text('empty `` here')]);
  assert.deepEqual(segmentText('`https://x.test`'), [{ kind: 'inlineCode', text: 'https://x.test' }]);
});

test('segments always reproduce the text outside fences exactly', () => {
  const samples = ['a `b` c https://d.test/e) f', '`', '``', '````', 'http://', 'https://a.test/(((', '((https://a.test/)))', 'x\u0000y https://a.test/\u0007'];
  for (const s of samples) assert.equal(visible(segmentText(s)), s, JSON.stringify(s));
});

test('huge inputs are segmented fast (no quadratic or backtracking blow-up)', () => {
  const cases = [
    'a'.repeat(1 << 20),
    'http://a.test/' + ')'.repeat(1 << 20),
    'https://x.test/ '.repeat(50_000),
    '`a` '.repeat(200_000),
    '```'.repeat(200_000),
    '```a``` '.repeat(125_000),
    '```\n'.repeat(250_000),
    '`'.repeat(1 << 20),
    ('x'.repeat(100) + '\n').repeat(10_000),
    'http://' + 'a'.repeat(1 << 20),
  ];
  for (const s of cases) {
    const t0 = performance.now();
    const segs = segmentText(s);
    const ms = performance.now() - t0;
    assert.ok(ms < 1500, `${ms.toFixed(0)} ms for input starting ${JSON.stringify(s.slice(0, 20))}`);
    assert.ok(segs.length > 0);
  }
});

test('truncateForDisplay cuts long texts by characters and by lines', () => {
  assert.equal(truncateForDisplay('short'), undefined);
  assert.equal(truncateForDisplay('a'.repeat(5000), 4000)?.length, 4000);
  const lines = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
  const cut = truncateForDisplay(lines, 4000, 60)!;
  assert.equal(cut.split('\n').length, 60);
  // Never splits a surrogate pair (emoji).
  const emoji = '😀'.repeat(3000);
  const c = truncateForDisplay(emoji, 4001)!;
  assert.equal(c.length % 2, 0);
});

test('formatDay: Today, Yesterday, then dates', () => {
  const now = new Date(2025, 2, 10, 12, 0).getTime();
  assert.equal(formatDay(new Date(2025, 2, 10, 0, 1).getTime(), now), 'Today');
  assert.equal(formatDay(new Date(2025, 2, 9, 23, 59).getTime(), now), 'Yesterday');
  const older = formatDay(new Date(2025, 2, 1, 9, 0).getTime(), now, 'en-GB');
  assert.match(older, /1 March/);
  assert.doesNotMatch(older, /2025/);
  assert.match(formatDay(new Date(2024, 11, 31).getTime(), now, 'en-GB'), /2024/);
});
