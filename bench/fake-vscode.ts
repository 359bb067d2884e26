/**
 * The few `vscode` APIs src/host/html.ts uses, so bench/webview.ts can build the webviews'
 * real HTML (with its real Content-Security-Policy) outside VS Code. Bundled in place of
 * `vscode` by bench/run.mjs (esbuild alias).
 */
export class Uri {
  readonly scheme = 'file';
  constructor(readonly path: string) {}
  get fsPath(): string {
    return this.path;
  }
  static file(p: string): Uri {
    return new Uri(p);
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return new Uri([base.path.replace(/\/$/, ''), ...parts].join('/'));
  }
  toString(): string {
    return this.path;
  }
}
export const env = { language: 'en' };
/** English: VS Code has no bundle to pass (src/host/html.ts puts `{}` in the page). */
export const l10n: { bundle: Record<string, string> | undefined } = { bundle: undefined };
