// The chat's code highlighter (webview/shared/highlight.ts): lossless, only known classes,
// sensible colours for common languages, control characters made visible, linear time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_LINE, TOKEN_CLASSES, controlPicture, hasControls, isHighlighted, languageLabel, showControls, tokenize, tokenizeLine, type Token } from '../../webview/shared/highlight';

const LANGS = [
  'typescript', 'javascript', 'typescriptreact', 'json', 'jsonc', 'python', 'go', 'rust', 'c', 'cpp', 'csharp', 'java', 'kotlin', 'php', 'ruby',
  'lua', 'sql', 'shellscript', 'powershell', 'css', 'scss', 'html', 'xml', 'markdown', 'diff', 'yaml', 'toml', 'ini', 'plaintext', 'unknown-lang', undefined,
];

/** Class of the first token whose text is exactly `text` on any line. */
function clsOf(lines: Token[][], text: string): string | undefined {
  for (const l of lines) for (const t of l) if (t.text === text) return t.cls ?? 'plain';
  return undefined;
}

function check(text: string, lang: string | undefined): Token[][] {
  const lines = tokenize(text, lang);
  assert.equal(lines.map((l) => l.map((t) => t.text).join('')).join('\n'), text, `lossless for ${lang}`);
  for (const l of lines)
    for (const t of l) {
      assert.equal(typeof t.text, 'string');
      assert.ok(t.text.length > 0, 'no empty tokens');
      assert.ok(t.cls === undefined || (TOKEN_CLASSES as readonly string[]).includes(t.cls), `class ${t.cls}`);
      assert.deepEqual(Object.keys(t).sort(), t.cls ? ['cls', 'text'] : ['text']);
    }
  return lines;
}

const HOSTILE = [
  '<script>alert(1)</script>',
  '<img src=x onerror="document.title=\'pwned\'">',
  '"unterminated string',
  "'",
  '/* never closed',
  '`template ${ never',
  '"""',
  '<!-- open',
  '\u001b[31mred\u001b[0m \u0000 \u0007 \u202eevil\u202c',
  'bad \ud800 surrogate \ufffd',
  '@@@ ### $$$ ``` *** ___ [[[ ((( &&& <<< >>>',
  '\\',
  '',
];

describe('tokenizer', () => {
  it('is lossless and only produces known classes, for every language and hostile input', () => {
    for (const lang of LANGS) for (const h of HOSTILE) check(h + '\n' + h, lang);
  });

  it('TypeScript', () => {
    const l = check('// hi\nexport async function greet(name: string): Promise<void> {\n  const n = 42; return `x${name}`; /* c */\n}\n@Component\nclass Foo {}', 'typescript');
    assert.equal(clsOf(l, '// hi'), 'comment');
    assert.equal(clsOf(l, 'export'), 'keyword');
    assert.equal(clsOf(l, 'greet'), 'function');
    assert.equal(clsOf(l, 'Promise'), 'type');
    assert.equal(clsOf(l, '42'), 'number');
    assert.equal(clsOf(l, '`x${name}`'), 'string');
    assert.equal(clsOf(l, '/* c */'), 'comment');
    assert.equal(clsOf(l, '@Component'), 'meta');
  });

  it('multi-line state: block comments, template strings, Python triple quotes, HTML comments', () => {
    let l = check('a /* one\ntwo\nthree */ b', 'javascript');
    assert.equal(clsOf(l, 'two'), 'comment');
    assert.equal(clsOf(l, ' b'), 'plain');
    l = check('x = `one\ntwo` + y', 'typescript');
    assert.equal(clsOf(l, 'two`'), 'string');
    l = check('s = """doc\nstill doc\n"""\nx = 1', 'python');
    assert.equal(clsOf(l, 'still doc'), 'string');
    assert.equal(clsOf(l, '1'), 'number');
    l = check('<!-- a\nb -->\n<p class="x">t</p>', 'html');
    assert.equal(clsOf(l, 'b -->'), 'comment');
    assert.equal(clsOf(l, '<p'), 'tag');
    assert.equal(clsOf(l, 'class'), 'attr');
    assert.equal(clsOf(l, '"x"'), 'string');
  });

  it('Python, Go, Rust, C, Java, shell, JSON, CSS, Markdown, YAML, diff', () => {
    let l = check('@dataclass\ndef f(x):  # c\n    return None', 'python');
    assert.equal(clsOf(l, '@dataclass'), 'meta');
    assert.equal(clsOf(l, 'def'), 'keyword');
    assert.equal(clsOf(l, '# c'), 'comment');
    assert.equal(clsOf(l, 'None'), 'number');
    l = check('func main() { fmt.Println(`raw`) }', 'go');
    assert.equal(clsOf(l, 'func'), 'keyword');
    assert.equal(clsOf(l, '`raw`'), 'string');
    l = check("fn f<'a>(x: &'a str) -> char { 'x' }", 'rust');
    assert.equal(clsOf(l, 'fn'), 'keyword');
    assert.equal(clsOf(l, "'a"), 'type');
    assert.equal(clsOf(l, "'x'"), 'string');
    l = check('#include <stdio.h>\nint main(void) { return 0; }', 'c');
    assert.equal(clsOf(l, '#include <stdio.h>'), 'meta');
    assert.equal(clsOf(l, 'int'), 'keyword');
    l = check('public static void main(String[] args) {}', 'java');
    assert.equal(clsOf(l, 'public'), 'keyword');
    assert.equal(clsOf(l, 'String'), 'type');
    l = check('if [ -n "$HOME" ]; then echo ${X} # note\nfi', 'shellscript');
    assert.equal(clsOf(l, 'if'), 'keyword');
    assert.equal(clsOf(l, '"$HOME"'), 'string');
    assert.equal(clsOf(l, '${X}'), 'variable');
    assert.equal(clsOf(l, '# note'), 'comment');
    l = check('{"key": "value", "n": -1.5e3, "ok": true, "z": null}', 'json');
    assert.equal(clsOf(l, '"key"'), 'property');
    assert.equal(clsOf(l, '"value"'), 'string');
    assert.equal(clsOf(l, '-1.5e3'), 'number');
    assert.equal(clsOf(l, 'true'), 'keyword');
    l = check('.a:hover { color: #fff; margin: 10px; } /* c */', 'css');
    assert.equal(clsOf(l, 'color'), 'property');
    assert.equal(clsOf(l, '#fff'), 'number');
    assert.equal(clsOf(l, '10px'), 'number');
    l = check('# Title\n- item with `code` and [link](http://x)\n```\nfenced\n```', 'markdown');
    assert.equal(clsOf(l, '# Title'), 'heading');
    assert.equal(clsOf(l, '`code`'), 'string');
    assert.equal(clsOf(l, 'fenced'), 'string');
    l = check('name: padlock\ncount: 3 # c\nok: true', 'yaml');
    assert.equal(clsOf(l, 'name'), 'property');
    assert.equal(clsOf(l, '3'), 'number');
    assert.equal(clsOf(l, 'true'), 'keyword');
    l = check('@@ -1 +1 @@\n-old\n+new', 'diff');
    assert.equal(clsOf(l, '-old'), 'deleted');
    assert.equal(clsOf(l, '+new'), 'inserted');
  });

  it('state is carried line by line, so chunks give the same result as the whole', () => {
    const text = 'a /*\nb\n*/ c `d\ne` f';
    const whole = tokenize(text, 'javascript');
    let state = 0;
    const parts = text.split('\n').map((line) => {
      const r = tokenizeLine(line, 'javascript', state);
      state = r.state;
      return r.tokens;
    });
    assert.deepEqual(parts, whole);
  });

  it('very long lines stay plain; 64 KB and 10,000 lines tokenize without hanging', { timeout: 20_000 }, () => {
    const long = 'x'.repeat(MAX_LINE + 1);
    assert.deepEqual(tokenizeLine(long, 'javascript').tokens, [{ text: long }]);
    const big = 'const a = { "k": [1, 2, 3], s: `t` }; // c\n'.repeat(1500); // ~64 KB
    const ten = 'x=1;\n'.repeat(10_000);
    const evil = ('*_`[<&' + '*'.repeat(900) + '\n').repeat(60);
    for (const lang of ['typescript', 'python', 'markdown', 'html', 'css', 'json', 'shellscript', 'yaml']) {
      tokenize(big, lang);
      tokenize(ten, lang);
      tokenize(evil, lang);
    }
  });

  it('which languages get colours', () => {
    assert.equal(isHighlighted('typescript'), true);
    assert.equal(isHighlighted('plaintext'), false);
    assert.equal(isHighlighted(undefined), false);
    assert.equal(languageLabel('typescript'), 'TypeScript');
    assert.equal(languageLabel('zig', 'zig'), 'zig');
  });
});

describe('control characters', () => {
  it('ANSI escapes, NUL, bell, DEL, C1, bidi overrides and zero-width characters are shown as pictures', () => {
    assert.equal(controlPicture('\u001b'), '\u241b');
    assert.equal(controlPicture('\u0000'), '\u2400');
    assert.equal(controlPicture('\u007f'), '\u2421');
    assert.equal(controlPicture('\u202e'), '\u27e8U+202E\u27e9');
    const out = showControls([{ text: '\u001b[31mred\u001b[0m' }, { text: 'a\u200bb', cls: 'string' }]);
    assert.equal(out.map((t) => t.text).join(''), '\u241b[31mred\u241b[0m' + 'a\u27e8U+200B\u27e9b');
    assert.deepEqual(out.filter((t) => t.cls === 'control').length, 3);
    assert.deepEqual(out.find((t) => t.text === 'a'), { text: 'a', cls: 'string' });
    assert.equal(hasControls('tab\tand newline\n are fine'.replace('\n', '')), false);
    assert.equal(hasControls('\u0085'), true);
  });

  it('after showControls no control character is left in any token', () => {
    const all = Array.from({ length: 0xa0 }, (_, i) => String.fromCharCode(i)).join('') + '\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff';
    for (const lang of ['plaintext', 'typescript', 'shellscript']) {
      const shown = showControls(tokenizeLine(all, lang).tokens);
      const text = shown.map((t) => t.text).join('');
      assert.equal(hasControls(text), false, lang);
      assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(text));
    }
  });
});
