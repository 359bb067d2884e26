/**
 * "Share Selection Securely…" and "Share File Securely…" (issue 4, "Share code securely"), and
 * the actions on code blocks in a chat (Copy, Insert at Cursor, Open in New Editor, Save As…).
 *
 * A snippet only goes out inside a private conversation: it is written with
 * `sendMessage(…, { requirePrivate: true })`, which makes the OTR layer hold it (and ask for a
 * private conversation) instead of ever sending it in the clear. If the conversation cannot be
 * started, the user is asked, in a modal whose default answer is not to send, whether to send it
 * unencrypted. The wire format is src/core/snippet.ts.
 */
import * as vscode from 'vscode';
import type { AccountSession } from '../core/account';
import { bareJid } from '../core/jid';
import type { Logger } from '../core/log';
import { isPrivate, type OtrState } from '../core/otr/policy';
import {
  MAX_SHARE_FILE_BYTES,
  cleanFileName,
  decodeTextFile,
  encodeSnippet,
  extensionForLanguage,
  findCodeBlocks,
  hasXmlInvalidChars,
  snippetHeader,
} from '../core/snippet';
import { PRESENCE_ICON } from '../shared/presence';
import type { CodeAction } from '../shared/protocol';
import type { AccountManager } from './accounts';
import { type ChatManager, plainForNotification } from './chats';
import type { OtrService } from './otr';
import type { RoomsManager } from './rooms';

export interface ShareDeps {
  context: vscode.ExtensionContext;
  accounts: AccountManager;
  otr: OtrService;
  chats: ChatManager;
  /** Joined rooms are offered last, and only sent to after the user confirms cleartext. */
  rooms?: RoomsManager;
  log: Logger;
}

/** Optional arguments (for tests and other extensions); the palette passes none. */
export interface ShareArgs {
  account?: string;
  jid?: string;
  /** The line of text before the code; skips the input box when given (may be ''). */
  note?: string;
  includeFileName?: boolean;
}

interface Source {
  code: string;
  languageId: string;
  /** Base name; undefined for untitled documents. */
  fileName?: string;
  startLine: number;
  endLine: number;
  /** What is shared, for titles ("hello.ts, lines 3–8"). */
  what: string;
}

const RECENT_KEY = 'padlock.share.recent';
const RECENT_MAX = 8;

/** The last text editor the user worked in (a chat panel has focus when its actions run). */
let lastEditor: { uri: vscode.Uri; viewColumn?: vscode.ViewColumn; selection: vscode.Selection } | undefined;

function trackEditor(e: vscode.TextEditor | undefined): void {
  if (!e || (e.document.uri.scheme !== 'file' && e.document.uri.scheme !== 'untitled' && e.document.uri.scheme !== 'vscode-remote')) return;
  lastEditor = { uri: e.document.uri, viewColumn: e.viewColumn, selection: e.selection };
}

/**
 * Registers padlock.shareSelection and padlock.shareFile through main.ts's `cmd`, and starts
 * tracking the last text editor for "Insert at Cursor".
 */
export function registerShareCommands(cmd: (id: string, fn: (...args: never[]) => unknown) => void, deps: ShareDeps): vscode.Disposable {
  trackEditor(vscode.window.activeTextEditor);
  const subs = [
    vscode.window.onDidChangeActiveTextEditor(trackEditor),
    vscode.window.onDidChangeTextEditorSelection((e) => trackEditor(e.textEditor)),
  ];
  cmd('padlock.shareSelection', async (arg?: vscode.Uri | ShareArgs) => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Open a file and select the code to share first.'));
      return;
    }
    let source = selectionSource(editor);
    if (!source) {
      const whole = vscode.l10n.t('Share Whole File');
      const pick = await vscode.window.showInformationMessage(vscode.l10n.t('Nothing is selected. Select the code to share, or share the whole file.'), whole);
      if (pick !== whole) return;
      source = documentSource(editor.document);
    }
    await share(deps, source, arg instanceof vscode.Uri ? undefined : arg);
  });
  cmd('padlock.shareFile', async (arg?: vscode.Uri | ShareArgs, args?: ShareArgs) => {
    let uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
    if (!uri || uri.scheme === 'untitled') {
      const picked = await vscode.window.showOpenDialog({ canSelectMany: false, title: vscode.l10n.t('Share which file?'), openLabel: vscode.l10n.t('Share') });
      if (!picked?.[0]) return;
      uri = picked[0];
    }
    const source = await fileSource(uri);
    await share(deps, source, arg instanceof vscode.Uri ? (args && !Array.isArray(args) ? args : undefined) : arg);
  });
  return vscode.Disposable.from(...subs);
}

// -- sources ------------------------------------------------------------------------------------

function baseName(uri: vscode.Uri): string {
  return uri.path.split('/').pop() || uri.path;
}

function rangeText(fileName: string | undefined, start: number, end: number): string {
  return snippetHeader(fileName, start, end).slice(0, -1);
}

function selectionSource(editor: vscode.TextEditor): Source | undefined {
  const sel = editor.selection;
  if (sel.isEmpty) return undefined;
  const doc = editor.document;
  const code = doc.getText(sel);
  if (!code.trim()) return undefined;
  const startLine = sel.start.line + 1;
  // A selection that ends at the start of a line does not include that line.
  const endLine = sel.end.line + 1 - (sel.end.character === 0 && sel.end.line > sel.start.line ? 1 : 0);
  const fileName = doc.isUntitled ? undefined : baseName(doc.uri);
  return { code, languageId: doc.languageId, fileName, startLine, endLine, what: rangeText(fileName, startLine, endLine) };
}

function lineCount(text: string): number {
  const n = text.split('\n').length;
  return text.endsWith('\n') && n > 1 ? n - 1 : n;
}

function documentSource(doc: vscode.TextDocument): Source {
  const code = doc.getText();
  const fileName = doc.isUntitled ? undefined : baseName(doc.uri);
  const endLine = lineCount(code);
  return { code, languageId: doc.languageId, fileName, startLine: 1, endLine, what: fileName ?? rangeText(undefined, 1, endLine) };
}

/** A file from the explorer: text up to 64 KB, no NUL bytes, valid UTF-8. */
async function fileSource(uri: vscode.Uri): Promise<Source> {
  const name = baseName(uri);
  const stat = await vscode.workspace.fs.stat(uri);
  if (stat.type & vscode.FileType.Directory) throw new Error(vscode.l10n.t('{0} is a folder; share a file.', name));
  if (stat.size > MAX_SHARE_FILE_BYTES) {
    throw new Error(vscode.l10n.t('{0} is too large to share ({1} KB). Files up to 64 KB can be shared; select the part you need and use "Share Selection Securely…".', name, Math.ceil(stat.size / 1024)));
  }
  const decoded = decodeTextFile(await vscode.workspace.fs.readFile(uri));
  if (!decoded.ok) {
    if (decoded.reason === 'binary') throw new Error(vscode.l10n.t('{0} is not a text file (it contains NUL bytes or is not valid UTF-8). Only text files can be shared.', name));
    if (decoded.reason === 'empty') throw new Error(vscode.l10n.t('{0} is empty: there is nothing to share.', name));
    throw new Error(vscode.l10n.t('{0} is too large to share. Files up to 64 KB can be shared.', name));
  }
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  const languageId = open?.languageId ?? (await vscode.workspace.openTextDocument(uri).then((d) => d.languageId, () => 'plaintext'));
  const endLine = lineCount(decoded.text);
  return { code: decoded.text, languageId, fileName: name, startLine: 1, endLine, what: name };
}

// -- the flow -----------------------------------------------------------------------------------

async function share(deps: ShareDeps, source: Source, args: ShareArgs | undefined): Promise<void> {
  // A selection that can never fit is refused before any question is asked.
  encodeSnippet({ ...source, note: '' });
  const target = await pickShareContact(deps, source, args);
  if (!target) return;
  if (target.room) {
    await shareToRoom(deps, source, target.session, target.jid, args);
    return;
  }
  const { session, jid } = target;
  const config = vscode.workspace.getConfiguration('padlock.share');
  let includeFileName = source.fileName ? (args?.includeFileName ?? config.get<boolean>('includeFileName', true)) : false;
  let note = args?.note;
  if (note === undefined) {
    const answer = await askNote(source, session.roster.displayName(jid), includeFileName);
    if (!answer) return;
    note = answer.note;
    includeFileName = answer.includeFileName;
  }
  const body = encodeSnippet({ ...source, fileName: includeFileName ? source.fileName : undefined, note });
  await rememberRecent(deps.context, session.id, jid);
  await sendPrivately(deps, session, jid, body);
}

type ContactItem = vscode.QuickPickItem & { session?: AccountSession; jid?: string; room?: boolean };

function padlockLook(state: OtrState): { icon: string; text: string } {
  switch (state) {
    case 'private-verified':
      return { icon: 'verified-filled', text: vscode.l10n.t('Private, verified') };
    case 'private-unverified':
      return { icon: 'lock', text: vscode.l10n.t('Private, unverified') };
    case 'starting':
      return { icon: 'sync', text: vscode.l10n.t('Starting a private conversation…') };
    case 'finished':
      return { icon: 'unlock', text: vscode.l10n.t('They ended the private conversation: a new one will be started') };
    case 'lost':
      return { icon: 'warning', text: vscode.l10n.t('Private conversation lost: a new one will be started') };
    default:
      return { icon: 'unlock', text: vscode.l10n.t('Not private: a private conversation will be started first') };
  }
}


/**
 * Contacts with presence and padlock state, recent ones first; then joined rooms, marked as not
 * private (OTR is for two people only, issue 6 item 6): picking one asks before anything is sent.
 */
async function pickShareContact(deps: ShareDeps, source: Source, args: ShareArgs | undefined): Promise<{ session: AccountSession; jid: string; room?: boolean } | undefined> {
  if (args?.account && args.jid) {
    const session = deps.accounts.get(args.account);
    if (!session) throw new Error(vscode.l10n.t('Unknown account {0}.', args.account));
    return { session, jid: bareJid(args.jid) };
  }
  const sessions = deps.accounts.list();
  if (!sessions.length) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Add an XMPP account first (Padlock: Add Account…).'));
    return undefined;
  }
  const recent = deps.context.globalState.get<string[]>(RECENT_KEY, []);
  const all: (ContactItem & { rank: number; online: boolean; name: string })[] = sessions.flatMap((s) =>
    [...s.roster.items.values()].map((i) => {
      const p = s.roster.aggregate(i.jid);
      const state = deps.otr.layer(s.id)?.state(i.jid) ?? 'plaintext';
      const look = padlockLook(state);
      const name = s.roster.displayName(i.jid);
      const r = recent.indexOf(`${s.id}\u0000${i.jid}`);
      return {
        label: `$(${PRESENCE_ICON[p.show]}) ${name}`,
        description: sessions.length > 1 ? `${i.jid} · ${s.jid}` : i.jid,
        detail: `$(${look.icon}) ${look.text}`,
        session: s,
        jid: i.jid,
        rank: r < 0 ? Infinity : r,
        online: p.show !== 'offline',
        name,
      };
    }),
  );
  const rooms: ContactItem[] = deps.rooms
    ? sessions.flatMap((s) =>
        deps.rooms!.roomViews(s.id)
          .filter((r) => r.status === 'joined')
          .map((r) => ({
            label: `$(comment-discussion) ${r.name}`,
            description: sessions.length > 1 ? `${r.jid} · ${s.jid}` : r.jid,
            detail: `$(unlock) ${vscode.l10n.t('Group chat: not private, everyone in the room can read it')}`,
            session: s,
            jid: r.jid,
            room: true,
          })),
      )
    : [];
  if (!all.length && !rooms.length) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No contacts yet. Add one with "Padlock: Add Contact…".'));
    return undefined;
  }
  const recents = all.filter((i) => i.rank !== Infinity).sort((a, b) => a.rank - b.rank);
  const others = all
    .filter((i) => i.rank === Infinity)
    .sort((a, b) => Number(b.online) - Number(a.online) || a.name.localeCompare(b.name));
  const items: ContactItem[] = [
    ...(recents.length ? [{ label: vscode.l10n.t('recent'), kind: vscode.QuickPickItemKind.Separator }, ...recents] : []),
    ...(recents.length && others.length ? [{ label: vscode.l10n.t('contacts'), kind: vscode.QuickPickItemKind.Separator }] : []),
    ...others,
    ...(rooms.length ? [{ label: vscode.l10n.t('rooms (not private)'), kind: vscode.QuickPickItemKind.Separator }, ...rooms] : []),
  ];
  const qp = vscode.window.createQuickPick<ContactItem>();
  qp.title = vscode.l10n.t('Share {0} securely with…', source.what);
  qp.placeholder = vscode.l10n.t('Pick a contact: the code is sent inside a private (OTR) conversation');
  qp.matchOnDescription = true;
  qp.items = items;
  const pick = await new Promise<ContactItem | undefined>((resolve) => {
    qp.onDidAccept(() => resolve(qp.selectedItems[0]));
    qp.onDidHide(() => resolve(undefined));
    qp.show();
  });
  qp.dispose();
  return pick?.session && pick.jid ? { session: pick.session, jid: pick.jid, ...(pick.room ? { room: true } : {}) } : undefined;
}

/**
 * A room cannot have a private conversation: the snippet goes in the clear to every occupant,
 * and only after a modal question whose default answer is not to send.
 */
async function shareToRoom(deps: ShareDeps, source: Source, session: AccountSession, room: string, args: ShareArgs | undefined): Promise<void> {
  const rooms = deps.rooms!;
  const name = rooms.roomViews(session.id).find((r) => r.jid === room)?.name ?? room;
  // Listed first and not a close affordance, so it is the dialog's primary button: Enter (and
  // Escape, via the Cancel VS Code adds) never sends in the clear by accident.
  const dont: vscode.MessageItem = { title: vscode.l10n.t("Don't Send") };
  const send: vscode.MessageItem = { title: vscode.l10n.t('Send in the Clear') };
  const pick = await vscode.window.showWarningMessage(
    vscode.l10n.t('{0} is a group chat: the code cannot be sent privately.', plainForNotification(name, 80)),
    {
      modal: true,
      detail: vscode.l10n.t('Private conversations (OTR) are for two people only. Everyone in the room, the room service and your server can read what you send. Nothing has been sent yet.'),
    },
    dont,
    send,
  );
  if (pick !== send) return;
  const config = vscode.workspace.getConfiguration('padlock.share');
  let includeFileName = source.fileName ? (args?.includeFileName ?? config.get<boolean>('includeFileName', true)) : false;
  let note = args?.note;
  if (note === undefined) {
    const answer = await askNote(source, name, includeFileName, false);
    if (!answer) return;
    note = answer.note;
    includeFileName = answer.includeFileName;
  }
  const body = encodeSnippet({ ...source, fileName: includeFileName ? source.fileName : undefined, note });
  if (hasXmlInvalidChars(body)) throw new Error(vscode.l10n.t('The code contains control characters that cannot be sent unencrypted over XMPP. Nothing was sent.'));
  rooms.open(session, room, true);
  await rooms.muc(session.id).sendMessage(room, body);
}

/** The optional line of text, with a toggle for the file name. Undefined: cancelled. */
async function askNote(source: Source, name: string, includeFileName: boolean, privately = true): Promise<{ note: string; includeFileName: boolean } | undefined> {
  const box = vscode.window.createInputBox();
  let include = includeFileName;
  const describe = () => {
    const what = rangeText(include ? source.fileName : undefined, source.startLine, source.endLine);
    box.title = vscode.l10n.t('Share {0} with {1}', what, name);
    box.prompt = privately
      ? vscode.l10n.t('Optional: a line of text to send with the code (sent privately).')
      : vscode.l10n.t('Optional: a line of text to send with the code (not private: the whole room reads it).');
    if (source.fileName) {
      box.buttons = [
        {
          iconPath: new vscode.ThemeIcon(include ? 'file-code' : 'file'),
          tooltip: include ? vscode.l10n.t('The file name {0} is included: leave it out', source.fileName) : vscode.l10n.t('The file name is left out: include {0}', source.fileName),
        },
      ];
    }
  };
  box.placeholder = vscode.l10n.t('Message (optional)');
  describe();
  const validate = () => {
    try {
      encodeSnippet({ ...source, fileName: include ? source.fileName : undefined, note: box.value });
      box.validationMessage = undefined;
      return true;
    } catch (e) {
      box.validationMessage = (e as Error).message;
      return false;
    }
  };
  const result = await new Promise<{ note: string; includeFileName: boolean } | undefined>((resolve) => {
    box.onDidTriggerButton(() => {
      include = !include;
      describe();
      validate();
    });
    box.onDidChangeValue(() => validate());
    box.onDidAccept(() => {
      if (validate()) resolve({ note: box.value, includeFileName: include });
    });
    box.onDidHide(() => resolve(undefined));
    box.show();
  });
  box.dispose();
  return result;
}

async function rememberRecent(context: vscode.ExtensionContext, account: string, jid: string): Promise<void> {
  const key = `${account}\u0000${jid}`;
  const list = [key, ...context.globalState.get<string[]>(RECENT_KEY, []).filter((k) => k !== key)].slice(0, RECENT_MAX);
  await context.globalState.update(RECENT_KEY, list);
}

/**
 * Sends the snippet inside a private conversation: at once if one is up, else it waits (held by
 * the OTR layer, never sent in the clear) while one is started. If that fails, asks before
 * sending it unencrypted; the default is not to.
 */
async function sendPrivately(deps: ShareDeps, session: AccountSession, jid: string, body: string): Promise<void> {
  const name = session.roster.displayName(jid);
  const layer = deps.otr.layer(session.id);
  deps.chats.open(session, jid, true);
  if (!layer) {
    await askPlaintext(session, jid, body, vscode.l10n.t('Private conversations are not available for {0}.', session.jid));
    return;
  }
  const state = layer.state(jid);
  if (state === 'finished' || state === 'lost') {
    // The old conversation cannot carry it: ask for a new one (the snippet waits meanwhile).
    if (session.state === 'online') await layer.refresh(jid).catch((e) => deps.log.warn(`share: refresh failed: ${String((e as Error)?.message ?? e)}`));
  }
  const message = await session.sendMessage(jid, body, { requirePrivate: true });
  if (isPrivate(layer.state(jid))) return;

  const outcome = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: session.state === 'online' ? vscode.l10n.t('Starting a private conversation with {0}; the code waits until it is up…', name) : vscode.l10n.t('The code waits until you are online and a private conversation with {0} is up…', name),
      cancellable: true,
    },
    (_progress, token) =>
      new Promise<'sent' | 'failed' | 'cancelled'>((resolve) => {
        const subs: { dispose(): void }[] = [];
        const done = (v: 'sent' | 'failed' | 'cancelled') => {
          for (const s of subs) s.dispose();
          resolve(v);
        };
        subs.push(
          session.on('messageStatus', ({ id, status }) => {
            if (id !== message.id) return;
            if (status === 'sent' || status === 'delivered') done('sent');
            else if (status === 'failed') done('failed');
          }),
          token.onCancellationRequested(() => {
            session.failQueued(message.id, vscode.l10n.t('Not sent: you cancelled sharing.'));
            done('cancelled');
          }),
        );
        // Already gone out between sendMessage and here?
        if (!session.queue.pending().some((i) => i.id === message.id)) done('sent');
      }),
  );
  if (outcome !== 'failed') return;
  if (layer.policyFor(jid) === 'required') {
    void vscode.window.showErrorMessage(
      vscode.l10n.t('The code was not sent: a private conversation with {0} could not be started, and your policy for {0} never allows unencrypted messages.', name),
    );
    return;
  }
  await askPlaintext(session, jid, body, vscode.l10n.t('{0} did not start a private conversation (their client may not support OTR).', name));
}

/** The explicit question before anything goes out in the clear. The default answer is No. */
async function askPlaintext(session: AccountSession, jid: string, body: string, why: string): Promise<void> {
  // Listed first and not a close affordance, so it is the dialog's primary button: Enter (and
  // Escape, via the Cancel VS Code adds) never sends in the clear by accident.
  const dont: vscode.MessageItem = { title: vscode.l10n.t("Don't Send") };
  const send: vscode.MessageItem = { title: vscode.l10n.t('Send Unencrypted') };
  const pick = await vscode.window.showWarningMessage(
    why,
    {
      modal: true,
      detail: vscode.l10n.t('Send the code unencrypted? Your server, their server and anyone able to read the traffic between them could read it. Nothing has been sent yet.'),
    },
    dont,
    send,
  );
  if (pick !== send) return;
  if (hasXmlInvalidChars(body)) {
    throw new Error(vscode.l10n.t('The code contains control characters that cannot be sent unencrypted over XMPP. Nothing was sent.'));
  }
  await session.sendMessage(jid, body);
}

// -- code block actions (from the chat) -----------------------------------------------------------

/**
 * Runs an action on code block `index` of a message's text (the host's own copy of the message,
 * never code sent by the webview).
 */
export async function runCodeAction(text: string, index: number, action: CodeAction): Promise<void> {
  const block = findCodeBlocks(text)[index];
  if (!block) throw new Error(vscode.l10n.t('That code block does not exist.'));
  const code = block.code;
  switch (action) {
    case 'copy':
      await vscode.env.clipboard.writeText(code);
      vscode.window.setStatusBarMessage(vscode.l10n.t('$(check) Code copied'), 3000);
      return;
    case 'insert':
      await insertAtCursor(code, block.languageId);
      return;
    case 'open': {
      const doc = await vscode.workspace.openTextDocument({ content: code, language: await knownLanguage(block.languageId) });
      await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: false });
      return;
    }
    case 'saveAs': {
      const name = safeFileName(block.fileName) ?? `snippet.${extensionForLanguage(block.languageId)}`;
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      const uri = await vscode.window.showSaveDialog({ title: vscode.l10n.t('Save the code as'), ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, name) } : {}) });
      if (!uri) return;
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(code));
      const open = vscode.l10n.t('Open');
      void vscode.window.showInformationMessage(vscode.l10n.t('Saved {0}.', baseName(uri)), open).then(async (p) => {
        if (p === open) await vscode.window.showTextDocument(uri);
      });
      return;
    }
  }
}

async function knownLanguage(languageId: string): Promise<string> {
  const all = await vscode.languages.getLanguages();
  return all.includes(languageId) ? languageId : 'plaintext';
}

/** A name from a contact's header, made harmless as a default file name (no path, no reserved characters). */
export function safeFileName(name: string | undefined): string | undefined {
  const base = cleanFileName(name)?.replace(/[<>:"|?*]/g, '_').replace(/^\.+/, '').trim();
  return base && base.length <= 200 ? base : undefined;
}

async function insertAtCursor(code: string, languageId: string): Promise<void> {
  const last = lastEditor;
  if (!last) {
    // No editor to insert into: a new one with the code.
    const doc = await vscode.workspace.openTextDocument({ content: code, language: await knownLanguage(languageId) });
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: false });
    return;
  }
  const doc = await vscode.workspace.openTextDocument(last.uri);
  const editor = await vscode.window.showTextDocument(doc, { viewColumn: last.viewColumn, preserveFocus: false, preview: false, selection: last.selection });
  const ok = await editor.edit((eb) => eb.replace(editor.selection, code));
  if (!ok) throw new Error(vscode.l10n.t('The code could not be inserted into {0}.', baseName(last.uri)));
}
