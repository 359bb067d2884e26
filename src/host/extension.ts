/**
 * The extension's entry point, kept tiny so activation costs almost nothing: it registers the
 * contributed commands and the contact view, and loads the rest (main.js: XMPP, OTR, webviews)
 * right after `activate()` has returned, or at once when a command or the view needs it.
 *
 * It imports only `vscode`: esbuild builds it as its own bundle (out/extension.js), and
 * main.js as another (out/main.js).
 */
import path from 'node:path';
import * as vscode from 'vscode';
import type { Main, PadlockApi } from './main';

export type { PadlockApi } from './main';

/** What activate() returns (the extension's API, for tests and other extensions). */
export interface PadlockEntry {
  /** Loads the host layer if needed and resolves with its API. */
  load(): Promise<PadlockApi>;
}

const CONTACTS_VIEW_ID = 'padlock.contacts';

export function activate(context: vscode.ExtensionContext): PadlockEntry {
  let main: Main | undefined;
  const load = (): Main => {
    if (!main) {
      // A computed path keeps esbuild from inlining main.js into this bundle.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(path.join(__dirname, 'main.js')) as typeof import('./main');
      main = mod.start(context);
    }
    return main;
  };

  const commands = (context.extension.packageJSON.contributes?.commands ?? []) as { command: string }[];
  for (const { command } of commands) {
    context.subscriptions.push(vscode.commands.registerCommand(command, (...args: unknown[]) => load().run(command, args)));
  }
  context.subscriptions.push(
    vscode.window.registerWebviewViewProvider(
      CONTACTS_VIEW_ID,
      { resolveWebviewView: (view, ctx, token) => load().contacts.resolveWebviewView(view, ctx, token) },
      { webviewOptions: { retainContextWhenHidden: true } },
    ),
  );
  // Chat and room tabs left open are restored after a reload (VS Code activates us for them).
  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer('padlock.chat', {
      deserializeWebviewPanel: async (panel, state) => load().deserializeChat(panel, state),
    }),
    vscode.window.registerWebviewPanelSerializer('padlock.room', {
      deserializeWebviewPanel: async (panel, state) => load().deserializeRoom(panel, state),
    }),
  );
  // Sign-in starts right after activation, not inside it.
  const timer = setTimeout(() => load(), 0);
  context.subscriptions.push({ dispose: () => clearTimeout(timer) });

  shutdown = () => main?.shutdown() ?? Promise.resolve();
  return { load: async () => load().api };
}

let shutdown: () => Promise<void> = () => Promise.resolve();

export function deactivate(): Promise<void> {
  // Signs out cleanly before the subscriptions are disposed, so the window taking over the
  // connections (issue 7) finds the server storing new messages offline for it.
  return shutdown();
}
