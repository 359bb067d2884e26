// Code snippets on the wire (src/core/snippet.ts): encoding and parsing both ways, languages
// from the fence, size limits, hostile bodies, shared files. Pure, plain Node.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_BLOCKS,
  MAX_SHARE_FILE_BYTES,
  SnippetError,
  decodeTextFile,
  encodeSnippet,
  extensionForLanguage,
  fenceForLanguage,
  findCodeBlocks,
  hasXmlInvalidChars,
  languageForFence,
  parseHeader,
  parseSnippet,
} from '../../src/core/snippet';
import { MAX_OUTGOING_TEXT } from '../../src/shared/protocol';
import { segmentText } from '../../webview/shared/render';

const TS = 'export function greet(name: string): string {\n  return `Hello, ${name}!`;\n}';

describe('encodeSnippet', () => {
  it('writes note, header, fence with the language, the code and the closing fence', () => {
    const body = encodeSnippet({ code: TS, languageId: 'typescript', fileName: 'hello.ts', startLine: 3, endLine: 5, note: 'Look at this' });
    assert.equal(body, `Look at this\nhello.ts, lines 3\u20135:\n\`\`\`ts\n${TS}\n\`\`\``);
  });

  it('header variants: single line, no file name, no note', () => {
    assert.equal(encodeSnippet({ code: 'x = 1', languageId: 'python', fileName: 'a.py', startLine: 7, endLine: 7 }), 'a.py, line 7:\n```python\nx = 1\n```');
    assert.equal(encodeSnippet({ code: 'a\nb', languageId: 'plaintext', startLine: 2, endLine: 3 }), 'Lines 2\u20133:\n```\na\nb\n```');
    assert.equal(encodeSnippet({ code: 'a' }), 'Line 1:\n```\na\n```');
    // The range defaults to the code's own lines.
    assert.match(encodeSnippet({ code: 'a\nb\nc\n' }), /^Lines 1\u20133:\n/);
  });

  it('a fence longer than any backtick run inside the code (CommonMark), so ``` in code survives', () => {
    const code = 'Markdown:\n```js\nlet x = 1;\n```\nand ```` four, and `inline`';
    const body = encodeSnippet({ code, languageId: 'markdown', fileName: 'README.md', startLine: 1, endLine: 5 });
    assert.ok(body.includes('\n`````markdown\n'), body);
    assert.ok(body.endsWith('\n`````'));
    const back = parseSnippet(body)!;
    assert.equal(back.code, code);
    assert.equal(back.languageId, 'markdown');
  });

  it('file names are base names on one line', () => {
    const body = encodeSnippet({ code: 'x', fileName: '/home/me/src/evil\nname.ts', startLine: 1, endLine: 1 });
    assert.ok(body.startsWith('evil name.ts, line 1:\n'));
    assert.ok(encodeSnippet({ code: 'x', fileName: 'C:\\work\\a.c' }).startsWith('a.c, line 1:'));
  });

  it('refuses empty code and bodies over MAX_OUTGOING_TEXT with a clear error, never truncating', () => {
    assert.throws(() => encodeSnippet({ code: '  \n\t' }), (e: unknown) => e instanceof SnippetError && e.kind === 'empty');
    const fits = 'x'.repeat(MAX_OUTGOING_TEXT - 'Line 1:\n```\n\n```'.length);
    assert.equal(encodeSnippet({ code: fits }).length, MAX_OUTGOING_TEXT);
    assert.throws(
      () => encodeSnippet({ code: fits + 'x' }),
      (e: unknown) => e instanceof SnippetError && e.kind === 'tooLarge' && /65,537 characters.*at most 65,536.*Nothing was sent/.test(e.message),
    );
    // The note counts too.
    assert.throws(() => encodeSnippet({ code: fits, note: 'hi' }), /Too large/);
  });
});

describe('parseSnippet: round trips', () => {
  const cases: { name: string; code: string; languageId: string; fileName?: string }[] = [
    { name: 'TypeScript', code: TS, languageId: 'typescript', fileName: 'hello.ts' },
    { name: 'unicode (BMP, astral, combining, RTL)', code: 'const s = "héllo wörld ✓ 🙂 é שלום";\n// 日本語', languageId: 'javascript' },
    { name: 'trailing newline (whole file)', code: 'line 1\nline 2\n', languageId: 'plaintext', fileName: 'notes.txt' },
    { name: 'several trailing newlines and blank lines', code: '\n\na\n\n\nb\n\n', languageId: 'go' },
    { name: 'tabs and trailing spaces', code: '\tfoo()  \n\t\tbar\t', languageId: 'go' },
    { name: 'backticks everywhere', code: '```\n````\n`````x\n```', languageId: 'markdown' },
    { name: 'a line that looks like a header', code: 'a.ts, lines 1–2:\n```ts\nx\n```', languageId: 'markdown' },
    { name: 'HTML and script', code: '<script>alert(1)</script>\n<img src=x onerror=alert(2)>', languageId: 'html', fileName: 'x.html' },
    { name: 'ANSI escapes and other controls', code: '\u001b[31mred\u001b[0m\u0007\u0000end', languageId: 'shellscript' },
    { name: 'lone surrogates and U+FFFD', code: 'bad \ud800 and \udc00 and \ufffd', languageId: 'plaintext' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const body = encodeSnippet({ code: c.code, languageId: c.languageId, fileName: c.fileName, startLine: 10, endLine: 20, note: 'see' });
      const back = parseSnippet(body);
      assert.ok(back, body);
      assert.equal(back.code, c.code);
      assert.equal(back.languageId, c.languageId);
      assert.equal(back.fileName, c.fileName);
      assert.equal(back.startLine, 10);
      assert.equal(back.endLine, 20);
      assert.equal(back.note, 'see');
      // Exactly one block, found by the function the webview and the host both use.
      assert.equal(findCodeBlocks(body).length, 1);
    });
  }

  it('CRLF and lone CR are normalised to LF (documented decision)', () => {
    const back = parseSnippet(encodeSnippet({ code: 'a\r\nb\rc\r\n', languageId: 'c' }))!;
    assert.equal(back.code, 'a\nb\nc\n');
  });

  it('a body that arrives with CRLF line breaks (a Windows client) still parses', () => {
    const back = parseSnippet('note\r\nx.py, lines 1\u20132:\r\n```py\r\na = 1\r\nb = 2\r\n```\r\n')!;
    assert.equal(back.fileName, 'x.py');
    assert.equal(back.languageId, 'python');
    assert.equal(back.code, 'a = 1\r\nb = 2');
    assert.equal(back.note, 'note');
  });

  it('parse then encode gives the same body', () => {
    const body = 'hi there\nmain.rs, lines 4\u20136:\n```rust\nfn main() {\n    println!("x");\n}\n```';
    const s = parseSnippet(body)!;
    assert.equal(encodeSnippet({ code: s.code, languageId: s.languageId, fileName: s.fileName, startLine: s.startLine, endLine: s.endLine, note: s.note }), body);
  });

  it('is not a snippet: no header, text after the block, two blocks, unclosed fence', () => {
    assert.equal(parseSnippet('```js\nx\n```'), undefined);
    assert.equal(parseSnippet('Line 1:\n```js\nx\n```\nmore text'), undefined);
    assert.equal(parseSnippet('Line 1:\n```js\nx\n```\nLine 2:\n```js\ny\n```'), undefined);
    assert.equal(parseSnippet('Line 1:\n```js\nx'), undefined);
    assert.equal(parseSnippet('just text'), undefined);
  });

  it('what other clients see: readable text, and the old segmenter still finds the code', () => {
    const body = encodeSnippet({ code: 'print("hi")', languageId: 'python', fileName: 'a.py', startLine: 1, endLine: 1 });
    const segs = segmentText(body);
    assert.deepEqual(segs.find((s) => s.kind === 'code'), { kind: 'code', text: 'print("hi")', lang: 'python' });
  });
});

describe('languages', () => {
  it('fence names map to VS Code languageIds, case-insensitively', () => {
    const expect: Record<string, string> = {
      ts: 'typescript', TypeScript: 'typescript', tsx: 'typescriptreact', js: 'javascript', jsx: 'javascriptreact', py: 'python', python3: 'python',
      sh: 'shellscript', bash: 'shellscript', zsh: 'shellscript', 'c++': 'cpp', cs: 'csharp', 'c#': 'csharp', rs: 'rust', golang: 'go',
      yml: 'yaml', md: 'markdown', json: 'json', json5: 'jsonc', html: 'html', css: 'css', java: 'java', c: 'c', diff: 'diff', text: 'plaintext',
    };
    for (const [fence, id] of Object.entries(expect)) assert.equal(languageForFence(fence), id, fence);
  });

  it('unknown or missing fences', () => {
    assert.equal(languageForFence(undefined), 'plaintext');
    assert.equal(languageForFence(''), 'plaintext');
    assert.equal(languageForFence('zig'), 'zig'); // passed on: VS Code may know it
    assert.equal(languageForFence('<script>'), 'plaintext');
    assert.equal(languageForFence('a'.repeat(40)), 'plaintext');
  });

  it('languageIds map to fence names and back', () => {
    for (const id of ['typescript', 'javascript', 'python', 'shellscript', 'csharp', 'cpp', 'rust', 'go', 'java', 'json', 'markdown', 'html', 'css', 'yaml', 'c', 'objective-c']) {
      const fence = fenceForLanguage(id);
      assert.ok(fence, id);
      assert.equal(languageForFence(fence), id, `${id} -> ${fence}`);
    }
    assert.equal(fenceForLanguage('plaintext'), '');
    assert.equal(fenceForLanguage(undefined), '');
    assert.equal(fenceForLanguage('zig'), 'zig');
    assert.equal(fenceForLanguage('weird id with spaces'), '');
  });

  it('only the first word of an info string is the language', () => {
    assert.equal(findCodeBlocks('```js title="x"\nx\n```')[0]!.languageId, 'javascript');
  });

  it('file extensions for Save As', () => {
    assert.equal(extensionForLanguage('typescript'), 'ts');
    assert.equal(extensionForLanguage('python'), 'py');
    assert.equal(extensionForLanguage('plaintext'), 'txt');
    assert.equal(extensionForLanguage('../../etc'), 'txt');
  });
});

describe('findCodeBlocks', () => {
  it('offsets cover header and fences; text around stays outside', () => {
    const body = 'before\nf.js, line 2:\n```js\nx\n```\nafter';
    const [b] = findCodeBlocks(body);
    assert.equal(body.slice(0, b!.start), 'before\n');
    assert.equal(body.slice(b!.start, b!.end), 'f.js, line 2:\n```js\nx\n```');
    assert.equal(body.slice(b!.end), '\nafter');
    assert.equal(b!.fileName, 'f.js');
  });

  it('several blocks, with and without headers, and an empty block', () => {
    const blocks = findCodeBlocks('```\n```\ntext\n```py\na\n```\nLines 1–2:\n~~~\n```sh\nls\n```');
    assert.deepEqual(
      blocks.map((b) => [b.code, b.languageId, b.startLine]),
      [['', 'plaintext', undefined], ['a', 'python', undefined], ['ls', 'shellscript', undefined]],
    );
  });

  it('a closing fence must be as long as the opening one and alone on its line', () => {
    const [b] = findCodeBlocks('````\n```\nstill code ```\n````');
    assert.equal(b!.code, '```\nstill code ```');
  });

  it('header parsing', () => {
    assert.deepEqual(parseHeader('a, b.ts, lines 3\u20138:'), { fileName: 'a, b.ts', startLine: 3, endLine: 8 });
    assert.deepEqual(parseHeader('Line 4:'), { startLine: 4, endLine: 4 });
    assert.deepEqual(parseHeader('x.go, lines 1-2:'), { fileName: 'x.go', startLine: 1, endLine: 2 });
    assert.equal(parseHeader('Lines 8\u20133:'), undefined);
    assert.equal(parseHeader('Look at this:'), undefined);
    assert.equal(parseHeader('Line 0:'), undefined);
  });

  it('hostile input stays linear: thousands of unclosed fences, a million backticks, many blocks', { timeout: 20_000 }, () => {
    const unclosed = Array.from({ length: 20_000 }, (_, i) => '`'.repeat(3 + (i % 50)) + 'x').join('\n');
    assert.equal(findCodeBlocks(unclosed).length, 0);
    assert.equal(findCodeBlocks('`'.repeat(1_000_000)).length, 0);
    const many = '```\na\n```\n'.repeat(5000);
    assert.equal(findCodeBlocks(many).length, MAX_BLOCKS);
  });

  it('not a string, or no fences: nothing', () => {
    assert.deepEqual(findCodeBlocks(undefined as unknown as string), []);
    assert.deepEqual(findCodeBlocks('no code `here`'), []);
  });
});

describe('shared files', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  it('text files decode; a BOM is dropped', () => {
    assert.deepEqual(decodeTextFile(enc('hello\n')), { ok: true, text: 'hello\n' });
    assert.deepEqual(decodeTextFile(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])), { ok: true, text: 'a' });
  });
  it('binary files are refused: NUL bytes, invalid UTF-8', () => {
    assert.deepEqual(decodeTextFile(new Uint8Array([0x61, 0x00, 0x62])), { ok: false, reason: 'binary' });
    assert.deepEqual(decodeTextFile(new Uint8Array([0x61, 0xff, 0xfe, 0x62])), { ok: false, reason: 'binary' });
    assert.deepEqual(decodeTextFile(new Uint8Array([0xc3])), { ok: false, reason: 'binary' }); // truncated sequence
    assert.deepEqual(decodeTextFile(new Uint8Array([0xed, 0xa0, 0x80])), { ok: false, reason: 'binary' }); // encoded surrogate
  });
  it('too large and empty files are refused', () => {
    assert.deepEqual(decodeTextFile(new Uint8Array(MAX_SHARE_FILE_BYTES + 1).fill(0x61)), { ok: false, reason: 'tooLarge' });
    assert.equal(decodeTextFile(new Uint8Array(MAX_SHARE_FILE_BYTES).fill(0x61)).ok, true);
    assert.deepEqual(decodeTextFile(enc(' \n')), { ok: false, reason: 'empty' });
  });
  it('a 10,000-line file of 64 KB fits in one snippet', () => {
    const text = 'x=1;\n'.repeat(10_000);
    const body = encodeSnippet({ code: text, languageId: 'javascript', fileName: 'big.js', startLine: 1, endLine: 10_000 });
    assert.equal(parseSnippet(body)!.code, text);
  });
  it('characters XML cannot carry are detected (for an unencrypted send)', () => {
    assert.equal(hasXmlInvalidChars('plain\ttext\nok\r'), false);
    assert.equal(hasXmlInvalidChars('emoji 🙂'), false);
    assert.equal(hasXmlInvalidChars('\u001b[31m'), true);
    assert.equal(hasXmlInvalidChars('nul\u0000'), true);
    assert.equal(hasXmlInvalidChars('lone \ud800 surrogate'), true);
    assert.equal(hasXmlInvalidChars('lone \udc00 surrogate'), true);
  });
});

describe('codeAction request validation (src/shared/protocol.ts)', () => {
  it('accepts a message id, a small block index and a known action; nothing else', async () => {
    const { chatValidators } = await import('../../src/shared/protocol');
    const v = chatValidators.codeAction;
    assert.equal(v({ messageId: 'in-abc', block: 0, action: 'copy' }), undefined);
    for (const action of ['insert', 'open', 'saveAs']) assert.equal(v({ messageId: 'x', block: 3, action }), undefined);
    assert.ok(v({ messageId: 'x', block: 0, action: 'exec' }));
    assert.ok(v({ messageId: 'x', block: -1, action: 'copy' }));
    assert.ok(v({ messageId: 'x', block: 1.5, action: 'copy' }));
    assert.ok(v({ messageId: 'x', block: 1000, action: 'copy' }));
    assert.ok(v({ messageId: 'x'.repeat(257), block: 0, action: 'copy' }));
    assert.ok(v({ messageId: 1, block: 0, action: 'copy' }));
    assert.ok(v({ block: 0, action: 'copy', code: 'rm -rf /' }));
    assert.ok(v('copy'));
  });
});
