/**
 * Shared code snippets on the wire (issue 4, "Share code securely"). Pure: no VS Code, no Node
 * modules, so the chat webview bundles it too (it finds the code blocks it draws with the same
 * function the host uses to look a block up again for Copy / Insert / Open / Save As).
 *
 * A snippet is an ordinary message body that any XMPP client shows as readable text:
 *
 *     Look at this               <- optional note (the user's line of text)
 *     hello.ts, lines 3–8:       <- header: file name (optional) and line range
 *     ```ts                      <- fence + language (the fence name, not VS Code's languageId)
 *     …the code, exactly…
 *     ```
 *
 * Decisions:
 *  - Fence: backticks, one more than the longest backtick run in the code and at least three
 *    (CommonMark §4.5: a closing fence must be at least as long as the opening one), so code
 *    that itself contains ``` survives.
 *  - Line endings are normalised to LF when encoding (CRLF and lone CR become LF). XML 1.0
 *    §2.11 makes every conforming receiver do that to a plaintext body anyway, and Insert at
 *    Cursor converts to the target document's EOL. So the round trip is byte-exact for LF
 *    text, and CRLF text comes back with LF. Decoding keeps whatever bytes arrived.
 *  - The code is everything between the opening fence line and the newline before the closing
 *    fence: a trailing newline in the code (a whole-file share) is kept exactly.
 *  - Size: the whole body must fit MAX_OUTGOING_TEXT (counted as AccountSession.sendMessage
 *    counts, in UTF-16 code units); a bigger snippet is refused, never truncated.
 *  - Only fences at the start of a line are recognised, and only closed ones (an unclosed fence
 *    is left to the plain-text renderer, as before).
 */
import { MAX_OUTGOING_TEXT } from '../shared/protocol';

export interface SnippetInput {
  code: string;
  /** VS Code languageId of the document ('typescript', 'plaintext', …). */
  languageId?: string;
  /** Base name of the file; left out for untitled documents or when the user prefers. */
  fileName?: string;
  /** 1-based, inclusive. */
  startLine?: number;
  endLine?: number;
  /** The user's line of text before the code. */
  note?: string;
}

export interface Snippet {
  note?: string;
  fileName?: string;
  startLine?: number;
  endLine?: number;
  /** The language as written after the fence (undefined when none). */
  fence?: string;
  /** VS Code languageId for the fence ('plaintext' when unknown or none). */
  languageId: string;
  code: string;
}

export class SnippetError extends Error {
  constructor(
    message: string,
    readonly kind: 'empty' | 'tooLarge',
  ) {
    super(message);
  }
}

/** A fenced code block found in a message body, with offsets into that body. */
export interface CodeBlock {
  /** Offset of the opening fence line (or of the header line, if there is one: see headerStart). */
  start: number;
  /** Offset just after the closing fence line (its line break is not included). */
  end: number;
  /** Offset of the header line ("hello.ts, lines 3–8:") right before the fence, if any. */
  headerStart?: number;
  fence?: string;
  languageId: string;
  code: string;
  fileName?: string;
  startLine?: number;
  endLine?: number;
}

// ---------------------------------------------------------------------------------------------
// Languages: VS Code languageId <-> fence names (the names GitHub / linguist and most chat
// clients use).

/** What to write after the fence for a languageId. */
const FENCE_FOR_ID: Record<string, string> = {
  typescript: 'ts',
  typescriptreact: 'tsx',
  javascript: 'js',
  javascriptreact: 'jsx',
  python: 'python',
  shellscript: 'sh',
  csharp: 'csharp',
  cpp: 'cpp',
  c: 'c',
  rust: 'rust',
  go: 'go',
  java: 'java',
  json: 'json',
  jsonc: 'jsonc',
  markdown: 'markdown',
  html: 'html',
  css: 'css',
  scss: 'scss',
  less: 'less',
  yaml: 'yaml',
  xml: 'xml',
  sql: 'sql',
  ruby: 'ruby',
  php: 'php',
  kotlin: 'kotlin',
  swift: 'swift',
  powershell: 'powershell',
  bat: 'bat',
  dockerfile: 'dockerfile',
  makefile: 'makefile',
  lua: 'lua',
  perl: 'perl',
  r: 'r',
  dart: 'dart',
  'objective-c': 'objc',
  'objective-cpp': 'objcpp',
  diff: 'diff',
  ini: 'ini',
  toml: 'toml',
  latex: 'latex',
  haskell: 'haskell',
  elixir: 'elixir',
  erlang: 'erlang',
  clojure: 'clojure',
  scala: 'scala',
  fsharp: 'fsharp',
  vb: 'vb',
  groovy: 'groovy',
  julia: 'julia',
  graphql: 'graphql',
  vue: 'vue',
  svelte: 'svelte',
  proto: 'protobuf',
  plaintext: '',
};

/** Fence names (lower case) and their languageId. */
const ID_FOR_FENCE: Record<string, string> = (() => {
  const aliases: Record<string, string[]> = {
    typescript: ['ts', 'typescript', 'mts', 'cts'],
    typescriptreact: ['tsx'],
    javascript: ['js', 'javascript', 'mjs', 'cjs', 'node', 'ecmascript'],
    javascriptreact: ['jsx'],
    python: ['py', 'python', 'python3', 'py3', 'gyp'],
    shellscript: ['sh', 'bash', 'shell', 'zsh', 'ksh', 'shellscript', 'console', 'shell-session'],
    csharp: ['cs', 'csharp', 'c#'],
    cpp: ['cpp', 'c++', 'cc', 'cxx', 'hpp', 'hh', 'h++'],
    c: ['c', 'h'],
    rust: ['rs', 'rust'],
    go: ['go', 'golang'],
    java: ['java'],
    json: ['json'],
    jsonc: ['jsonc', 'json5'],
    markdown: ['md', 'markdown'],
    html: ['html', 'htm', 'xhtml'],
    css: ['css'],
    scss: ['scss'],
    less: ['less'],
    yaml: ['yaml', 'yml'],
    xml: ['xml', 'svg', 'xsd', 'xsl', 'xslt', 'plist'],
    sql: ['sql'],
    ruby: ['rb', 'ruby'],
    php: ['php'],
    kotlin: ['kt', 'kts', 'kotlin'],
    swift: ['swift'],
    powershell: ['ps1', 'powershell', 'pwsh', 'ps'],
    bat: ['bat', 'cmd', 'batch'],
    dockerfile: ['dockerfile', 'docker'],
    makefile: ['makefile', 'make', 'mk'],
    lua: ['lua'],
    perl: ['pl', 'perl'],
    r: ['r'],
    dart: ['dart'],
    'objective-c': ['objc', 'objective-c', 'objectivec', 'obj-c'],
    'objective-cpp': ['objcpp', 'objective-cpp', 'objc++'],
    diff: ['diff', 'patch'],
    ini: ['ini', 'cfg', 'properties'],
    toml: ['toml'],
    latex: ['tex', 'latex'],
    haskell: ['hs', 'haskell'],
    elixir: ['ex', 'exs', 'elixir'],
    erlang: ['erl', 'erlang'],
    clojure: ['clj', 'cljs', 'clojure'],
    scala: ['scala', 'sc'],
    fsharp: ['fs', 'fsharp', 'f#'],
    vb: ['vb', 'vbnet'],
    groovy: ['groovy', 'gradle'],
    julia: ['jl', 'julia'],
    graphql: ['graphql', 'gql'],
    vue: ['vue'],
    svelte: ['svelte'],
    proto: ['proto', 'protobuf'],
    plaintext: ['text', 'txt', 'plain', 'plaintext'],
  };
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [id, names] of Object.entries(aliases)) for (const n of names) out[n] = id;
  return out;
})();

/** The same shape segmentText accepts for a language tag (webview/shared/render.ts). */
const LANG_TAG = /^[A-Za-z0-9][A-Za-z0-9_+#.-]{0,31}$/;

/** What to write after the opening fence for a VS Code languageId ('' for none). */
export function fenceForLanguage(languageId: string | undefined): string {
  if (!languageId) return '';
  if (Object.prototype.hasOwnProperty.call(FENCE_FOR_ID, languageId)) return FENCE_FOR_ID[languageId]!;
  return LANG_TAG.test(languageId) ? languageId : '';
}

/** The VS Code languageId for a fence's language ('plaintext' when none). */
export function languageForFence(fence: string | undefined): string {
  const f = (fence ?? '').trim().toLowerCase();
  if (!f) return 'plaintext';
  if (Object.prototype.hasOwnProperty.call(ID_FOR_FENCE, f)) return ID_FOR_FENCE[f]!;
  // Unknown names that look like a languageId are passed on (VS Code may know them).
  return LANG_TAG.test(f) && !f.includes('#') ? f : 'plaintext';
}

/** File extension for a languageId, for "Save As…" of a snippet without a file name. */
export function extensionForLanguage(languageId: string): string {
  const special: Record<string, string> = {
    typescript: 'ts', typescriptreact: 'tsx', javascript: 'js', javascriptreact: 'jsx', python: 'py', shellscript: 'sh',
    csharp: 'cs', rust: 'rs', markdown: 'md', ruby: 'rb', kotlin: 'kt', powershell: 'ps1', perl: 'pl', 'objective-c': 'm',
    'objective-cpp': 'mm', latex: 'tex', haskell: 'hs', elixir: 'ex', erlang: 'erl', clojure: 'clj', fsharp: 'fs', julia: 'jl',
    plaintext: 'txt', dockerfile: 'dockerfile', makefile: 'mk', yaml: 'yaml',
  };
  if (special[languageId]) return special[languageId]!;
  return /^[a-z0-9]{1,10}$/.test(languageId) ? languageId : 'txt';
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** CRLF and lone CR become LF (see the decisions above). */
export function normalizeEol(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/** Longest run of `ch` in `text` (linear). */
function longestRun(text: string, ch: string): number {
  let best = 0;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === ch) {
      run++;
      if (run > best) best = run;
    } else run = 0;
  }
  return best;
}

/** A file name as shown in the header: base name only, one line, no control characters. */
export function cleanFileName(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const base = name.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const flat = base.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').trim().slice(0, 255);
  return flat || undefined;
}

/** "hello.ts, lines 3–8:" / "hello.ts, line 3:" / "Lines 3–8:" / "Line 3:". */
export function snippetHeader(fileName: string | undefined, startLine: number, endLine: number): string {
  const range = endLine > startLine ? `lines ${startLine}\u2013${endLine}` : `line ${startLine}`;
  return fileName ? `${fileName}, ${range}:` : `${range[0]!.toUpperCase()}${range.slice(1)}:`;
}

/** The message body for a snippet. Throws SnippetError when it is empty or too large. */
export function encodeSnippet(input: SnippetInput, max = MAX_OUTGOING_TEXT): string {
  const code = normalizeEol(input.code ?? '');
  if (!code.trim()) throw new SnippetError('There is no code to share: the selection is empty.', 'empty');
  const lines = code.split('\n').length - (code.endsWith('\n') ? 1 : 0);
  const startLine = input.startLine && input.startLine > 0 ? Math.floor(input.startLine) : 1;
  const endLine = input.endLine && input.endLine >= startLine ? Math.floor(input.endLine) : startLine + Math.max(0, lines - 1);
  const fence = '`'.repeat(Math.max(3, longestRun(code, '`') + 1));
  const note = normalizeEol(input.note ?? '').trim();
  const parts = [
    ...(note ? [note] : []),
    snippetHeader(cleanFileName(input.fileName), startLine, endLine),
    fence + fenceForLanguage(input.languageId),
    code,
    fence,
  ];
  const body = parts.join('\n');
  if (body.length > max) {
    throw new SnippetError(
      `Too large to share: ${body.length.toLocaleString('en-US')} characters with its header, and a message can hold at most ${max.toLocaleString('en-US')}. Nothing was sent; select less code.`,
      'tooLarge',
    );
  }
  return body;
}

// ---------------------------------------------------------------------------------------------
// Decoding

const OPEN_FENCE = /^(`{3,})([^`]*)$/;
const HEADER = /^(?:(.*), )?[Ll]ines? (\d{1,9})(?:\s*[\u2013\u2014-]\s*(\d{1,9}))?:$/;
/** Most blocks per message that are treated as code blocks (the rest stays text). */
export const MAX_BLOCKS = 200;

/** Parses a header line; undefined when it is not one. */
export function parseHeader(line: string): { fileName?: string; startLine: number; endLine: number } | undefined {
  if (line.length > 400) return undefined;
  const m = HEADER.exec(line.replace(/\r$/, ''));
  if (!m) return undefined;
  const startLine = Number(m[2]);
  const endLine = m[3] ? Number(m[3]) : startLine;
  if (!startLine || endLine < startLine) return undefined;
  const fileName = m[1]?.trim() || undefined;
  return { ...(fileName ? { fileName } : {}), startLine, endLine };
}

/**
 * Every closed, backtick-fenced code block that starts at the beginning of a line, in order
 * (at most MAX_BLOCKS). Linear: one pass over the lines.
 */
export function findCodeBlocks(text: string): CodeBlock[] {
  const out: CodeBlock[] = [];
  if (typeof text !== 'string' || !text.includes('```')) return out;
  const failed = { len: Infinity };
  let pos = 0;
  /** Start of the previous line (-1: none, or it belonged to a block). */
  let prevLineStart = -1;
  while (pos <= text.length && out.length < MAX_BLOCKS) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const open = text.charCodeAt(pos) === 96 /* ` */ && nl - pos < 64 ? OPEN_FENCE.exec(stripCr(text.slice(pos, nl))) : null;
    const close = open ? findClosingFence(text, nl + 1, open[1]!.length, failed) : undefined;
    if (open && close) {
      const codeStart = Math.min(nl + 1, close.lineStart);
      let code = close.lineStart > codeStart ? text.slice(codeStart, close.lineStart - 1) : '';
      if (code.endsWith('\r') && text[close.lineStart - 1] === '\n') code = code.slice(0, -1);
      const fence = open[2]!.trim().split(/\s+/)[0] || undefined;
      const block: CodeBlock = { start: pos, end: close.lineEnd, languageId: languageForFence(fence), code, ...(fence ? { fence } : {}) };
      if (prevLineStart >= 0) {
        const header = parseHeader(stripCr(text.slice(prevLineStart, pos - 1)));
        if (header) Object.assign(block, header, { headerStart: prevLineStart, start: prevLineStart });
      }
      out.push(block);
      prevLineStart = -1;
      pos = close.next;
      continue;
    }
    prevLineStart = pos;
    pos = nl + 1;
  }
  return out;
}

function stripCr(s: string): string {
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}

/**
 * CommonMark §4.5: a line of at least `len` backticks and nothing but spaces after them.
 * `failed.len`: the shortest fence length already searched for in vain; since searches start
 * further on each time, a search for that length or longer fails at once (keeps hostile input
 * such as thousands of unclosed fences linear).
 */
function findClosingFence(text: string, from: number, len: number, failed: { len: number }): { lineStart: number; lineEnd: number; next: number } | undefined {
  if (len >= failed.len) return undefined;
  const fence = '`'.repeat(len);
  let i = from;
  while (i <= text.length) {
    const at = text.indexOf(fence, i);
    if (at < 0) break;
    let j = at;
    while (text[j] === '`') j++;
    if (at === 0 || text[at - 1] === '\n') {
      let k = j;
      while (text[k] === ' ' || text[k] === '\t') k++;
      if (k === text.length) return { lineStart: at, lineEnd: k, next: k + 1 };
      if (text[k] === '\n') return { lineStart: at, lineEnd: k, next: k + 1 };
      if (text[k] === '\r' && (k + 1 === text.length || text[k + 1] === '\n')) return { lineStart: at, lineEnd: k, next: k + 2 };
    }
    // Not a closing fence: skip past this backtick run.
    i = j;
  }
  failed.len = len;
  return undefined;
}

/**
 * A message body that is exactly one snippet (optional note, header, one code block, nothing
 * after it but white space); undefined otherwise.
 */
export function parseSnippet(body: string): Snippet | undefined {
  const blocks = findCodeBlocks(body);
  if (blocks.length !== 1) return undefined;
  const b = blocks[0]!;
  if (b.headerStart === undefined || body.slice(b.end).trim()) return undefined;
  const note = body.slice(0, b.headerStart).replace(/\r?\n$/, '');
  return {
    ...(note.trim() ? { note } : {}),
    ...(b.fileName ? { fileName: b.fileName } : {}),
    startLine: b.startLine,
    endLine: b.endLine,
    ...(b.fence ? { fence: b.fence } : {}),
    languageId: b.languageId,
    code: b.code,
  };
}

// ---------------------------------------------------------------------------------------------
// Shared files

/** Largest file "Share File Securely…" accepts (bytes on disk). */
export const MAX_SHARE_FILE_BYTES = 64 * 1024;

/**
 * The text of a file to share, or why it cannot be: binary (a NUL byte, or not valid UTF-8) or
 * too large. A UTF-8 byte order mark is dropped.
 */
export function decodeTextFile(bytes: Uint8Array, max = MAX_SHARE_FILE_BYTES): { ok: true; text: string } | { ok: false; reason: 'tooLarge' | 'binary' | 'empty' } {
  if (bytes.length > max) return { ok: false, reason: 'tooLarge' };
  if (bytes.includes(0)) return { ok: false, reason: 'binary' };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return { ok: false, reason: 'binary' };
  }
  if (!text.trim()) return { ok: false, reason: 'empty' };
  return { ok: true, text };
}

/**
 * Characters XML 1.0 (§2.2) does not allow in a document: a plaintext body containing one would
 * break the XMPP stream. Inside a private conversation the text travels encrypted (base64), so
 * this matters only for a message sent in the clear.
 */
export function hasXmlInvalidChars(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(text) || /(^|[^\ud800-\udbff])[\udc00-\udfff]|[\ud800-\udbff](?![\udc00-\udfff])/.test(text);
}
