/**
 * A small syntax highlighter for code blocks in the chat: a hand-written, line-at-a-time lexer
 * for common languages. Pure (no DOM), so test/unit/highlight.test.ts runs it in Node.
 *
 * Safety: it only splits text into tokens `{ text, cls }`; the chat view turns each token into a
 * text node or a `<span class="tok-CLS">` whose content is set as text. The class comes from the
 * fixed TOKEN_CLASSES list, never from the input. Nothing here evaluates anything.
 *
 * Speed: every rule is a linear scan or a sticky regular expression without nested quantifiers;
 * lines longer than MAX_LINE are left plain; the state carried from line to line is a small
 * number, so a caller can tokenize a long block in chunks (the chat view does, in idle time).
 */
import { l10n } from './l10n';

export const TOKEN_CLASSES = [
  'comment',
  'string',
  'keyword',
  'number',
  'type',
  'function',
  'tag',
  'attr',
  'property',
  'variable',
  'meta',
  'heading',
  'inserted',
  'deleted',
  'control',
] as const;
export type TokenClass = (typeof TOKEN_CLASSES)[number];

export interface Token {
  text: string;
  cls?: TokenClass;
}

/** Lines longer than this are shown without highlighting (minified code). */
export const MAX_LINE = 1000;

/** Line-to-line state: 0 = nothing open. */
export type LineState = number;
const S_BLOCK_COMMENT = 1;
const S_TEMPLATE = 2; // JS template / Go raw string (backtick)
const S_TRIPLE_DQ = 3;
const S_TRIPLE_SQ = 4;
const S_MARKUP_COMMENT = 5;
const S_MARKUP_TAG = 6;
const S_MD_FENCE = 7;

type Family = 'clike' | 'python' | 'shell' | 'json' | 'css' | 'markup' | 'markdown' | 'diff' | 'yaml' | 'sql' | 'plain';

interface CLike {
  keywords: Set<string>;
  constants: Set<string>;
  /** Characters that open a one-line string. */
  quotes: string;
  /** Backtick strings that may span lines. */
  template: boolean;
  lineComment: string[];
  blockComment: boolean;
  /** '#' at line start is a preprocessor line (C, C++, C#, Objective-C). */
  preprocessor: boolean;
  /** `@Name` (Java, Kotlin, TS decorators). */
  annotations: boolean;
  /** `$name` variables (PHP). */
  dollarVars: boolean;
  /** Rust: `'a` lifetimes, so only `'x'` and `'\n'` are char literals. */
  charLiterals: boolean;
  caseInsensitive?: boolean;
}

const words = (s: string) => new Set(s.split(/\s+/).filter(Boolean));

const JS_KW = words(
  'break case catch class const continue debugger default delete do else enum export extends finally for from function get if implements import in instanceof interface let new of package private protected public readonly return set static super switch this throw try type typeof var void while with yield async await as satisfies declare namespace module abstract keyof infer is',
);
const JS_CONST = words('true false null undefined NaN Infinity');
const C_KW = words(
  'auto break case catch char class const constexpr continue default delete do double else enum explicit extern final float for friend goto if inline int long mutable namespace new noexcept operator override private protected public register return short signed sizeof static struct switch template this throw try typedef typename union unsigned using virtual void volatile while abstract assert boolean byte extends implements import instanceof interface native package strictfp super synchronized throws transient var val fun object when is in out internal open data sealed lateinit companion init let func guard defer repeat extension protocol where self Self import async await yield dynamic late required covariant base checked decimal event fixed foreach implicit lock params readonly ref sbyte stackalloc string uint ulong unchecked unsafe ushort record get set def match case trait with lazy implicit',
);
const C_CONST = words('true false null nullptr NULL nil None');
const GO_KW = words(
  'break case chan const continue default defer else fallthrough for func go goto if import interface map package range return select struct switch type var',
);
const GO_CONST = words('true false nil iota');
const RUST_KW = words(
  'as async await break const continue crate dyn else enum extern fn for if impl in let loop match mod move mut pub ref return self Self static struct super trait type unsafe use where while macro_rules union',
);
const RUST_CONST = words('true false None Some Ok Err');
const PHP_KW = words(
  'abstract and array as break callable case catch class clone const continue declare default do echo else elseif empty enddeclare endfor endforeach endif endswitch endwhile extends final finally fn for foreach function global goto if implements include include_once instanceof insteadof interface isset list match namespace new or print private protected public readonly require require_once return static switch throw trait try unset use var while xor yield',
);
const PY_KW = words(
  'and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case print self cls',
);
const PY_CONST = words('True False None NotImplemented Ellipsis');
const SH_KW = words(
  'if then else elif fi for while until do done case esac in function return local export readonly declare unset shift exit break continue source alias set trap eval exec echo printf cd test let time select',
);
const RUBY_KW = words(
  'alias and begin break case class def defined do else elsif end ensure for if in module next not or redo rescue retry return self super then undef unless until when while yield require puts attr_accessor',
);
const LUA_KW = words('and break do else elseif end for function goto if in local not or repeat return then until while');
const SQL_KW = words(
  'select from where insert into values update set delete create table drop alter add column index primary key foreign references join left right inner outer full on group by order having limit offset union all distinct as and or not null is in like between exists case when then else end begin commit rollback transaction view trigger procedure function returns declare default unique check constraint with recursive asc desc count sum avg min max',
);
const YAML_CONST = words('true false null yes no on off ~ True False Null');

const JS: CLike = { keywords: JS_KW, constants: JS_CONST, quotes: `"'`, template: true, lineComment: ['//'], blockComment: true, preprocessor: false, annotations: true, dollarVars: false, charLiterals: false };
const C: CLike = { keywords: C_KW, constants: C_CONST, quotes: `"'`, template: false, lineComment: ['//'], blockComment: true, preprocessor: true, annotations: true, dollarVars: false, charLiterals: false };
const GO: CLike = { keywords: GO_KW, constants: GO_CONST, quotes: `"'`, template: true, lineComment: ['//'], blockComment: true, preprocessor: false, annotations: false, dollarVars: false, charLiterals: false };
const RUST: CLike = { keywords: RUST_KW, constants: RUST_CONST, quotes: '"', template: false, lineComment: ['//'], blockComment: true, preprocessor: false, annotations: false, dollarVars: false, charLiterals: true };
const PHP: CLike = { keywords: PHP_KW, constants: C_CONST, quotes: `"'`, template: false, lineComment: ['//', '#'], blockComment: true, preprocessor: false, annotations: false, dollarVars: true, charLiterals: false };
const RUBY: CLike = { keywords: RUBY_KW, constants: words('true false nil'), quotes: `"'`, template: false, lineComment: ['#'], blockComment: false, preprocessor: false, annotations: false, dollarVars: false, charLiterals: false };
const LUA: CLike = { keywords: LUA_KW, constants: words('true false nil'), quotes: `"'`, template: false, lineComment: ['--'], blockComment: false, preprocessor: false, annotations: false, dollarVars: false, charLiterals: false };
const SQL: CLike = { keywords: SQL_KW, constants: words('true false null'), quotes: `"'`, template: false, lineComment: ['--'], blockComment: true, preprocessor: false, annotations: false, dollarVars: false, charLiterals: false, caseInsensitive: true };

/** Which lexer a VS Code languageId uses (see src/core/snippet.ts languageForFence). */
export function lexerFor(languageId: string | undefined): { family: Family; clike?: CLike } {
  switch (languageId) {
    case 'typescript':
    case 'typescriptreact':
    case 'javascript':
    case 'javascriptreact':
    case 'dart':
    case 'groovy':
      return { family: 'clike', clike: JS };
    case 'c':
    case 'cpp':
    case 'csharp':
    case 'java':
    case 'kotlin':
    case 'swift':
    case 'scala':
    case 'objective-c':
    case 'objective-cpp':
    case 'proto':
    case 'graphql':
      return { family: 'clike', clike: C };
    case 'go':
      return { family: 'clike', clike: GO };
    case 'rust':
      return { family: 'clike', clike: RUST };
    case 'php':
      return { family: 'clike', clike: PHP };
    case 'ruby':
    case 'perl':
    case 'r':
    case 'elixir':
    case 'julia':
      return { family: 'clike', clike: RUBY };
    case 'lua':
      return { family: 'clike', clike: LUA };
    case 'sql':
      return { family: 'sql', clike: SQL };
    case 'python':
      return { family: 'python' };
    case 'shellscript':
    case 'powershell':
    case 'dockerfile':
    case 'makefile':
    case 'bat':
      return { family: 'shell' };
    case 'json':
    case 'jsonc':
      return { family: 'json' };
    case 'css':
    case 'scss':
    case 'less':
      return { family: 'css' };
    case 'html':
    case 'xml':
    case 'vue':
    case 'svelte':
      return { family: 'markup' };
    case 'markdown':
      return { family: 'markdown' };
    case 'diff':
      return { family: 'diff' };
    case 'yaml':
    case 'toml':
    case 'ini':
      return { family: 'yaml' };
    default:
      return { family: 'plain' };
  }
}

/** Whether a languageId gets colours at all. */
export function isHighlighted(languageId: string | undefined): boolean {
  return lexerFor(languageId).family !== 'plain';
}

// ---------------------------------------------------------------------------------------------

const IDENT = /[A-Za-z_$\u00c0-\uffff][\w$\u00c0-\uffff]*/y;
const NUMBER = /(?:0[xX][\da-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?|\.\d[\d_]*)[a-zA-Z]{0,4}/y;
const SPACE_PAREN = /[ \t]*\(/y;

class Out {
  readonly tokens: Token[] = [];
  push(text: string, cls?: TokenClass): void {
    if (!text) return;
    const last = this.tokens[this.tokens.length - 1];
    if (last && last.cls === cls) last.text += text;
    else this.tokens.push(cls ? { text, cls } : { text });
  }
}

function sticky(re: RegExp, s: string, i: number): string | undefined {
  re.lastIndex = i;
  const m = re.exec(s);
  return m ? m[0] : undefined;
}

/** Index of the next character of `chars` at or after `from` (s.length if none). */
function nextOf(s: string, from: number, chars: string): number {
  for (let j = from; j < s.length; j++) if (chars.includes(s[j]!)) return j;
  return s.length;
}

/** End of a quoted string starting at `i` (the quote), or -1 if it does not close on this line. */
function stringEnd(s: string, i: number, quote: string): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s[j];
    if (c === '\\') j++;
    else if (c === quote) return j + 1;
  }
  return -1;
}

/** Pushes the one-line string starting at i (to the line's end if unclosed); returns the index after it. */
function pushString(s: string, i: number, quote: string, out: Out): number {
  const end = stringEnd(s, i, quote);
  const stop = end < 0 ? s.length : end;
  out.push(s.slice(i, stop), 'string');
  return stop;
}

/** Index just after `close` (searched from i), honouring backslash escapes; -1 if absent. */
function closeAfter(s: string, i: number, close: string, escapes: boolean): number {
  for (let j = i; j < s.length; j++) {
    if (escapes && s[j] === '\\') {
      j++;
      continue;
    }
    if (s.startsWith(close, j)) return j + close.length;
  }
  return -1;
}

/** Tokenizes one line (without its line break). The tokens' texts concatenate to `line`. */
export function tokenizeLine(line: string, languageId: string | undefined, state: LineState = 0): { tokens: Token[]; state: LineState } {
  if (line.length > MAX_LINE) return { tokens: line ? [{ text: line }] : [], state };
  const lx = lexerFor(languageId);
  const out = new Out();
  let st: LineState;
  switch (lx.family) {
    case 'clike':
    case 'sql':
      st = clike(line, state, lx.clike!, out);
      break;
    case 'python':
      st = python(line, state, out);
      break;
    case 'shell':
      st = shell(line, out);
      break;
    case 'json':
      st = json(line, state, out);
      break;
    case 'css':
      st = css(line, state, out);
      break;
    case 'markup':
      st = markup(line, state, out);
      break;
    case 'markdown':
      st = markdown(line, state, out);
      break;
    case 'diff':
      out.push(line, line.startsWith('+') ? 'inserted' : line.startsWith('-') ? 'deleted' : line.startsWith('@@') ? 'meta' : undefined);
      st = 0;
      break;
    case 'yaml':
      st = yaml(line, out);
      break;
    default:
      out.push(line);
      st = 0;
  }
  return { tokens: out.tokens, state: st };
}

/** Tokenizes a whole text (lines separated by \n); for tests and small blocks. */
export function tokenize(text: string, languageId: string | undefined): Token[][] {
  let state: LineState = 0;
  return text.split('\n').map((l) => {
    const r = tokenizeLine(l, languageId, state);
    state = r.state;
    return r.tokens;
  });
}

function ident(s: string, i: number, out: Out, keywords: Set<string>, constants: Set<string>, caseInsensitive = false): number {
  const w = sticky(IDENT, s, i)!;
  const key = caseInsensitive ? w.toLowerCase() : w;
  const end = i + w.length;
  if (keywords.has(key)) out.push(w, 'keyword');
  else if (constants.has(key)) out.push(w, 'number');
  else if (sticky(SPACE_PAREN, s, end) !== undefined) out.push(w, 'function');
  else if (/^[A-Z][a-z0-9]/.test(w)) out.push(w, 'type');
  else out.push(w);
  return end;
}

function clike(s: string, state: LineState, cfg: CLike, out: Out): LineState {
  let i = 0;
  if (state === S_BLOCK_COMMENT) {
    const end = s.indexOf('*/');
    if (end < 0) {
      out.push(s, 'comment');
      return S_BLOCK_COMMENT;
    }
    out.push(s.slice(0, end + 2), 'comment');
    i = end + 2;
  } else if (state === S_TEMPLATE) {
    const end = closeAfter(s, 0, '`', true);
    if (end < 0) {
      out.push(s, 'string');
      return S_TEMPLATE;
    }
    out.push(s.slice(0, end), 'string');
    i = end;
  }
  if (i === 0 && cfg.preprocessor && /^\s*#/.test(s)) {
    out.push(s, 'meta');
    return 0;
  }
  while (i < s.length) {
    const c = s[i]!;
    if (cfg.lineComment.some((lc) => s.startsWith(lc, i))) {
      out.push(s.slice(i), 'comment');
      return 0;
    }
    if (cfg.blockComment && c === '/' && s[i + 1] === '*') {
      const end = s.indexOf('*/', i + 2);
      if (end < 0) {
        out.push(s.slice(i), 'comment');
        return S_BLOCK_COMMENT;
      }
      out.push(s.slice(i, end + 2), 'comment');
      i = end + 2;
      continue;
    }
    if (cfg.template && c === '`') {
      const end = closeAfter(s, i + 1, '`', true);
      if (end < 0) {
        out.push(s.slice(i), 'string');
        return S_TEMPLATE;
      }
      out.push(s.slice(i, end), 'string');
      i = end;
      continue;
    }
    if (cfg.quotes.includes(c)) {
      i = pushString(s, i, c, out);
      continue;
    }
    if (cfg.charLiterals && c === "'") {
      const m = sticky(/'(?:\\[^']{1,10}|[^\\'])'/y, s, i);
      if (m) {
        out.push(m, 'string');
        i += m.length;
      } else {
        // A Rust lifetime ('a) or label.
        const w = sticky(/'[A-Za-z_]\w*/y, s, i) ?? "'";
        out.push(w, w.length > 1 ? 'type' : undefined);
        i += w.length;
      }
      continue;
    }
    if (cfg.annotations && c === '@' && /[A-Za-z_]/.test(s[i + 1] ?? '')) {
      const w = '@' + sticky(IDENT, s, i + 1)!;
      out.push(w, 'meta');
      i += w.length;
      continue;
    }
    if (cfg.dollarVars && c === '$' && /[A-Za-z_]/.test(s[i + 1] ?? '')) {
      const w = '$' + sticky(IDENT, s, i + 1)!;
      out.push(w, 'variable');
      i += w.length;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(s[i + 1] ?? ''))) {
      const n = sticky(NUMBER, s, i) ?? c;
      out.push(n, 'number');
      i += n.length;
      continue;
    }
    if (/[A-Za-z_$\u00c0-\uffff]/.test(c)) {
      i = ident(s, i, out, cfg.keywords, cfg.constants, cfg.caseInsensitive);
      continue;
    }
    out.push(c);
    i++;
  }
  return 0;
}

function python(s: string, state: LineState, out: Out): LineState {
  let i = 0;
  if (state === S_TRIPLE_DQ || state === S_TRIPLE_SQ) {
    const q = state === S_TRIPLE_DQ ? '"""' : "'''";
    const end = closeAfter(s, 0, q, true);
    if (end < 0) {
      out.push(s, 'string');
      return state;
    }
    out.push(s.slice(0, end), 'string');
    i = end;
  }
  while (i < s.length) {
    const c = s[i]!;
    if (c === '#') {
      out.push(s.slice(i), 'comment');
      return 0;
    }
    // String prefixes: r, b, f, u, rb, br, fr, rf (any case).
    const prefix = sticky(/[rRbBfFuU]{0,2}(?=["'])/y, s, i);
    if (prefix !== undefined && (c === '"' || c === "'" || prefix.length > 0)) {
      const qi = i + prefix.length;
      const q = s[qi]!;
      if (s.startsWith(q.repeat(3), qi)) {
        const end = closeAfter(s, qi + 3, q.repeat(3), true);
        if (end < 0) {
          out.push(s.slice(i), 'string');
          return q === '"' ? S_TRIPLE_DQ : S_TRIPLE_SQ;
        }
        out.push(s.slice(i, end), 'string');
        i = end;
        continue;
      }
      const end = stringEnd(s, qi, q);
      const stop = end < 0 ? s.length : end;
      out.push(s.slice(i, stop), 'string');
      i = stop;
      continue;
    }
    if (c === '@' && /[A-Za-z_]/.test(s[i + 1] ?? '') && !s.slice(0, i).trim()) {
      out.push(s.slice(i).match(/^@[\w.]*/)![0], 'meta');
      i += s.slice(i).match(/^@[\w.]*/)![0].length;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(s[i + 1] ?? ''))) {
      const n = sticky(NUMBER, s, i) ?? c;
      out.push(n, 'number');
      i += n.length;
      continue;
    }
    if (/[A-Za-z_\u00c0-\uffff]/.test(c)) {
      i = ident(s, i, out, PY_KW, PY_CONST);
      continue;
    }
    out.push(c);
    i++;
  }
  return 0;
}

function shell(s: string, out: Out): LineState {
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '#' && (i === 0 || /\s/.test(s[i - 1]!))) {
      out.push(s.slice(i), 'comment');
      return 0;
    }
    if (c === '"' || c === "'") {
      i = pushString(s, i, c, out);
      continue;
    }
    if (c === '$') {
      const v = sticky(/\$(?:\{[^}\n]{0,200}\}|[A-Za-z_]\w*|[0-9@#?*$!-])/y, s, i);
      if (v) {
        out.push(v, 'variable');
        i += v.length;
        continue;
      }
    }
    if (/[0-9]/.test(c) && (i === 0 || /[\s=(]/.test(s[i - 1]!))) {
      const n = sticky(/\d+(?![\w.])/y, s, i);
      if (n) {
        out.push(n, 'number');
        i += n.length;
        continue;
      }
    }
    if (/[A-Za-z_]/.test(c)) {
      const w = sticky(/[A-Za-z_][\w-]*/y, s, i)!;
      out.push(w, SH_KW.has(w) ? 'keyword' : undefined);
      i += w.length;
      continue;
    }
    out.push(c);
    i++;
  }
  return 0;
}

function json(s: string, state: LineState, out: Out): LineState {
  let i = 0;
  if (state === S_BLOCK_COMMENT) {
    const end = s.indexOf('*/');
    if (end < 0) {
      out.push(s, 'comment');
      return S_BLOCK_COMMENT;
    }
    out.push(s.slice(0, end + 2), 'comment');
    i = end + 2;
  }
  while (i < s.length) {
    const c = s[i]!;
    if (c === '"') {
      const end = stringEnd(s, i, '"');
      const stop = end < 0 ? s.length : end;
      // A key is a string followed by a colon.
      const isKey = /^\s*:/.test(s.slice(stop, stop + 40));
      out.push(s.slice(i, stop), isKey ? 'property' : 'string');
      i = stop;
      continue;
    }
    if (c === '/' && s[i + 1] === '/') {
      out.push(s.slice(i), 'comment');
      return 0;
    }
    if (c === '/' && s[i + 1] === '*') {
      const end = s.indexOf('*/', i + 2);
      if (end < 0) {
        out.push(s.slice(i), 'comment');
        return S_BLOCK_COMMENT;
      }
      out.push(s.slice(i, end + 2), 'comment');
      i = end + 2;
      continue;
    }
    if (/[-0-9]/.test(c)) {
      const n = sticky(/-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y, s, i);
      if (n) {
        out.push(n, 'number');
        i += n.length;
        continue;
      }
    }
    if (/[a-z]/.test(c)) {
      const w = sticky(/[a-z]+/y, s, i)!;
      out.push(w, w === 'true' || w === 'false' || w === 'null' ? 'keyword' : undefined);
      i += w.length;
      continue;
    }
    out.push(c);
    i++;
  }
  return 0;
}

function css(s: string, state: LineState, out: Out): LineState {
  let i = 0;
  // A declaration line ("color: red;"), as opposed to a selector with pseudo-classes ("a:hover {").
  const declarations = /;|^\s*[\w-]+\s*:\s*[^{]*$/.test(s);
  if (state === S_BLOCK_COMMENT) {
    const end = s.indexOf('*/');
    if (end < 0) {
      out.push(s, 'comment');
      return S_BLOCK_COMMENT;
    }
    out.push(s.slice(0, end + 2), 'comment');
    i = end + 2;
  }
  while (i < s.length) {
    const c = s[i]!;
    if (c === '/' && s[i + 1] === '*') {
      const end = s.indexOf('*/', i + 2);
      if (end < 0) {
        out.push(s.slice(i), 'comment');
        return S_BLOCK_COMMENT;
      }
      out.push(s.slice(i, end + 2), 'comment');
      i = end + 2;
      continue;
    }
    if (c === '/' && s[i + 1] === '/') {
      out.push(s.slice(i), 'comment'); // SCSS / Less
      return 0;
    }
    if (c === '"' || c === "'") {
      i = pushString(s, i, c, out);
      continue;
    }
    if (c === '@' || (c === '$' && /[A-Za-z_]/.test(s[i + 1] ?? ''))) {
      const w = sticky(/[@$][\w-]*/y, s, i)!;
      out.push(w, c === '@' ? 'keyword' : 'variable');
      i += w.length;
      continue;
    }
    if (c === '#' && /[0-9a-fA-F]/.test(s[i + 1] ?? '')) {
      const w = sticky(/#[0-9a-fA-F]{3,8}\b/y, s, i);
      if (w) {
        out.push(w, 'number');
        i += w.length;
        continue;
      }
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(s[i + 1] ?? ''))) {
      const n = sticky(/\d*\.?\d+(?:%|[a-zA-Z]{1,4})?/y, s, i) ?? c;
      out.push(n, 'number');
      i += n.length;
      continue;
    }
    if (/[A-Za-z_-]/.test(c)) {
      const w = sticky(/-?-?[A-Za-z_][\w-]*/y, s, i) ?? c;
      const after = s.slice(i + w.length, i + w.length + 40);
      if (/^\s*:(?!:)/.test(after) && declarations) out.push(w, 'property');
      else if (s[i - 1] === '.' || s[i - 1] === '#') out.push(w, 'type');
      else if (/^\s*\(/.test(after)) out.push(w, 'function');
      else out.push(w, s[i - 1] === ':' ? 'keyword' : 'tag');
      i += w.length;
      continue;
    }
    out.push(c);
    i++;
  }
  return 0;
}

function markup(s: string, state: LineState, out: Out): LineState {
  let i = 0;
  let st = state;
  while (i < s.length) {
    if (st === S_MARKUP_COMMENT) {
      const end = s.indexOf('-->', i);
      if (end < 0) {
        out.push(s.slice(i), 'comment');
        return S_MARKUP_COMMENT;
      }
      out.push(s.slice(i, end + 3), 'comment');
      i = end + 3;
      st = 0;
      continue;
    }
    if (st === S_MARKUP_TAG) {
      const c = s[i]!;
      if (c === '>' || (c === '/' && s[i + 1] === '>') || (c === '?' && s[i + 1] === '>')) {
        const w = c === '>' ? '>' : c + '>';
        out.push(w, 'tag');
        i += w.length;
        st = 0;
        continue;
      }
      if (c === '"' || c === "'") {
        const end = s.indexOf(c, i + 1);
        const stop = end < 0 ? s.length : end + 1;
        out.push(s.slice(i, stop), 'string');
        i = stop;
        continue;
      }
      const w = sticky(/[^\s=>"'/?]+/y, s, i);
      if (w) {
        out.push(w, 'attr');
        i += w.length;
        continue;
      }
      out.push(c);
      i++;
      continue;
    }
    if (s.startsWith('<!--', i)) {
      st = S_MARKUP_COMMENT;
      out.push('<!--', 'comment');
      i += 4;
      continue;
    }
    if (s[i] === '<' && /[A-Za-z/!?]/.test(s[i + 1] ?? '')) {
      const w = sticky(/<[/!?]?[A-Za-z][\w:.-]*/y, s, i) ?? '<';
      out.push(w, 'tag');
      i += w.length;
      st = S_MARKUP_TAG;
      continue;
    }
    if (s[i] === '&') {
      const w = sticky(/&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[A-Za-z]{1,31});/y, s, i);
      if (w) {
        out.push(w, 'meta');
        i += w.length;
        continue;
      }
    }
    const stop = nextOf(s, i + 1, '<&');
    out.push(s.slice(i, stop));
    i = stop;
  }
  return st;
}

function markdown(s: string, state: LineState, out: Out): LineState {
  if (/^ {0,3}(`{3,}|~{3,})/.test(s)) {
    out.push(s, 'meta');
    return state === S_MD_FENCE ? 0 : S_MD_FENCE;
  }
  if (state === S_MD_FENCE) {
    out.push(s, 'string');
    return S_MD_FENCE;
  }
  if (/^ {0,3}#{1,6}(\s|$)/.test(s)) {
    out.push(s, 'heading');
    return 0;
  }
  if (/^ {0,3}>/.test(s)) {
    out.push(s, 'comment');
    return 0;
  }
  let i = 0;
  const list = sticky(/ {0,8}(?:[-*+]|\d{1,9}[.)])(?=\s)/y, s, 0);
  if (list) {
    out.push(list, 'keyword');
    i = list.length;
  }
  while (i < s.length) {
    const c = s[i]!;
    if (c === '`') {
      const end = s.indexOf('`', i + 1);
      if (end > i) {
        out.push(s.slice(i, end + 1), 'string');
        i = end + 1;
        continue;
      }
    }
    if (c === '*' || c === '_') {
      const run = s[i + 1] === c ? c + c : c;
      const end = s.indexOf(run, i + run.length);
      if (end > i + run.length) {
        out.push(s.slice(i, end + run.length), 'type');
        i = end + run.length;
        continue;
      }
    }
    if (c === '[') {
      const m = sticky(/\[[^\]\n]{0,500}\]\([^)\s]{0,2000}\)/y, s, i);
      if (m) {
        const split = m.indexOf('](') + 1;
        out.push(m.slice(0, split), 'function');
        out.push(m.slice(split), 'string');
        i += m.length;
        continue;
      }
    }
    const stop = nextOf(s, i + 1, '`*_[');
    out.push(s.slice(i, stop));
    i = stop;
  }
  return 0;
}

function yaml(s: string, out: Out): LineState {
  let i = 0;
  if (/^\s*[#;]/.test(s)) {
    out.push(s, 'comment');
    return 0;
  }
  if (/^\s*\[[^\]]*\]\s*$/.test(s)) {
    out.push(s, 'heading'); // TOML / INI section
    return 0;
  }
  const key = sticky(/\s*(?:- )?[\w.$"'-][^:=#\n]{0,200}?(?=\s*[:=](?:\s|$))/y, s, 0);
  if (key) {
    out.push(key, 'property');
    i = key.length;
  }
  while (i < s.length) {
    const c = s[i]!;
    if (c === '#' && (i === 0 || /\s/.test(s[i - 1]!))) {
      out.push(s.slice(i), 'comment');
      return 0;
    }
    if (c === '"' || c === "'") {
      i = pushString(s, i, c, out);
      continue;
    }
    if (/[-0-9]/.test(c) && (i === 0 || /[\s:=[,]/.test(s[i - 1]!))) {
      const n = sticky(/-?\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?(?=\s|$|,|\])/y, s, i);
      if (n) {
        out.push(n, 'number');
        i += n.length;
        continue;
      }
    }
    if (/[A-Za-z~]/.test(c)) {
      const w = sticky(/[A-Za-z~][\w-]*/y, s, i)!;
      out.push(w, YAML_CONST.has(w) ? 'keyword' : undefined);
      i += w.length;
      continue;
    }
    out.push(c);
    i++;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Invisible and control characters: shown, never interpreted

/**
 * C0/C1 controls (ANSI escapes, NUL, backspace…), DEL, bidirectional overrides (the "Trojan
 * Source" trick) and zero-width characters. Tab is left alone.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]/;
// eslint-disable-next-line no-control-regex
const CONTROL_G = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]/g;

/** How a control character is shown: the Unicode control picture (␛ for ESC) or ⟨U+XXXX⟩. */
export function controlPicture(ch: string): string {
  const code = ch.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  return `\u27e8U+${code.toString(16).toUpperCase().padStart(4, '0')}\u27e9`;
}

export function hasControls(text: string): boolean {
  return CONTROL.test(text);
}

/**
 * Splits tokens further so that every control character becomes its own `control` token whose
 * text is its visible picture (e.g. ESC [31m -> "␛" + "[31m"). For display only: copying and
 * inserting use the original code from the host.
 */
export function showControls(tokens: Token[]): Token[] {
  const out: Token[] = [];
  for (const t of tokens) {
    if (!CONTROL.test(t.text)) {
      out.push(t);
      continue;
    }
    let last = 0;
    CONTROL_G.lastIndex = 0;
    for (let m = CONTROL_G.exec(t.text); m; m = CONTROL_G.exec(t.text)) {
      if (m.index > last) out.push(t.cls ? { text: t.text.slice(last, m.index), cls: t.cls } : { text: t.text.slice(last, m.index) });
      out.push({ text: controlPicture(m[0]), cls: 'control' });
      last = m.index + 1;
    }
    if (last < t.text.length) out.push(t.cls ? { text: t.text.slice(last), cls: t.cls } : { text: t.text.slice(last) });
  }
  return out;
}

/** Human-readable language name for the block header. */
export function languageLabel(languageId: string, fence?: string): string {
  const names: Record<string, string> = {
    typescript: 'TypeScript', typescriptreact: 'TypeScript JSX', javascript: 'JavaScript', javascriptreact: 'JavaScript JSX',
    python: 'Python', shellscript: 'Shell', csharp: 'C#', cpp: 'C++', c: 'C', rust: 'Rust', go: 'Go', java: 'Java', json: 'JSON',
    jsonc: l10n.t('JSON with Comments'), markdown: 'Markdown', html: 'HTML', css: 'CSS', scss: 'SCSS', less: 'Less', yaml: 'YAML', xml: 'XML',
    sql: 'SQL', ruby: 'Ruby', php: 'PHP', kotlin: 'Kotlin', swift: 'Swift', powershell: 'PowerShell', bat: 'Batch',
    dockerfile: 'Dockerfile', makefile: 'Makefile', lua: 'Lua', perl: 'Perl', r: 'R', dart: 'Dart', 'objective-c': 'Objective-C',
    diff: 'Diff', ini: 'INI', toml: 'TOML', latex: 'LaTeX', haskell: 'Haskell', scala: 'Scala', plaintext: l10n.t('Plain text'),
  };
  return names[languageId] ?? (fence ? fence : l10n.t('Plain text'));
}
