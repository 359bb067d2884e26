/**
 * Localisation inside a webview (VS Code's "l10n for webviews": the @vscode/l10n package).
 * The host puts its current bundle (`vscode.l10n.bundle`, or `{}` in English) into the page's
 * `<body data-l10n>` (src/shared/webviewShell.ts); it is handed to `l10n.config` once, on the
 * first `l10n.t`, so every string is looked up in it. Strings are the English text itself
 * (the key), extracted by scripts/l10n.mjs into l10n/bundle.l10n.json with the host's.
 *
 * Only UI text goes through `l10n.t`; what a contact sends (messages, names, status text) is
 * data and is never looked up (a message "Send" must stay "Send").
 */
import * as vscodeL10n from '@vscode/l10n';

let configured = false;

function configure(): void {
  configured = true;
  let contents: Record<string, string> = {};
  try {
    const raw = typeof document !== 'undefined' ? document.body?.dataset.l10n : undefined;
    const parsed: unknown = raw ? JSON.parse(raw) : {};
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) contents = parsed as Record<string, string>;
  } catch {
    // A broken bundle leaves the UI in English rather than blank.
  }
  vscodeL10n.config({ contents });
}

type Args = Array<string | number | boolean>;

export const l10n = {
  /** `message` with `{0}`, `{1}`… (or `{name}`) replaced by `args`, in the display language. */
  t(message: string, ...args: Args | [Record<string, string | number | boolean>]): string {
    if (!configured) configure();
    return vscodeL10n.t(message, ...(args as Args));
  },
};
