/**
 * Logging for core code. The host writes these lines to an output channel; tests collect
 * them. Lines never contain secrets: `redact` removes SASL payloads, passwords and OTR
 * data from anything that looks like XML before it is logged.
 */
export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  debug(msg: string): void;
  /**
   * Whether debug lines are written now (the user can change the level at any time). Callers
   * check it before building an expensive line (a serialised stanza per message); a logger
   * without it is treated as writing debug lines.
   */
  debugEnabled?(): boolean;
}

export const nullLogger: Logger = { info() {}, warn() {}, error() {}, debug() {}, debugEnabled: () => false };

export function consoleLogger(prefix = ''): Logger {
  return {
    info: (m) => console.log(prefix + m),
    warn: (m) => console.warn(prefix + m),
    error: (m) => console.error(prefix + m),
    debug: () => {},
    debugEnabled: () => false,
  };
}

export function redact(text: string): string {
  return (
    text
      // SASL exchanges (RFC 6120 §6.4.2): the payload of auth/response carries credentials.
      .replace(/(<(auth|response|challenge|success)\b[^>]*>)[^<]*/g, '$1[redacted]')
      // SASL2 (XEP-0388) and FAST (XEP-0484): initial response, additional data, tokens.
      .replace(/(<(initial-response|additional-data|hash)\b[^>]*>)[^<]*/g, '$1[redacted]')
      .replace(/\b(token)=(["'])[^"']*\2/g, '$1=$2[redacted]$2')
      .replace(/(<password\b[^>]*>)[^<]*/g, '$1[redacted]')
      // Message bodies are private conversation content; OTR data (?OTR...) is ciphertext
      // but still nothing a log needs.
      .replace(/(<body\b[^>]*>)[\s\S]*?(<\/body>)/g, '$1[…]$2')
  );
}

/** Cap a string for a log line. */
export function clip(s: string, n = 300): string {
  return s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s;
}
