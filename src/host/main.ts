/**
 * Padlock Chat's host layer, loaded by the small entry bundle (extension.ts) right after
 * activation: the thin layer between VS Code and the core (src/core), which knows nothing of
 * VS Code.
 */
import * as vscode from 'vscode';
import type { AccountSession } from '../core/account';
import { bareJid, isValidBareUserJid } from '../core/jid';
import type { Logger } from '../core/log';
import type { PresenceShow } from '../shared/protocol';
import { AccountManager } from './accounts';
import { ChatManager, plainForNotification } from './chats';
import { ContactsViewProvider } from './contactsView';
import { ContextKeys } from './contextKeys';
import { OtrService } from './otr';
import { SecurityPage } from './security';
import { registerShareCommands } from './share';
import { StatusBar } from './statusBar';
import { VerifyPanels } from './verify';
import { RoomsManager, type RoomArg } from './rooms';
import { InstanceWiring } from './instance';
import { isRemote } from './remoteSession';

export interface PadlockApi {
  readonly accounts: AccountManager;
  readonly chats: ChatManager;
  readonly contacts: ContactsViewProvider;
  /** Resolves when stored accounts are loaded and sign-in has been started. */
  readonly ready: Promise<void>;
  /** The `when`-clause context keys (padlock.hasAccounts, …) as last set. */
  readonly contextKeys: ContextKeys;
  /** Which window owns the connections (issue 7). */
  readonly instance: InstanceWiring;
  /** For the in-host tests' checks that no secret is stored where it must not be. */
  readonly storage: { globalState: vscode.Memento; logUri: vscode.Uri; globalStorageUri: vscode.Uri };
}

interface ContactArg {
  account?: string;
  jid?: string;
}

export interface Main {
  readonly api: PadlockApi;
  /** Runs a contributed command (the entry bundle registered the ids). */
  run(command: string, args: unknown[]): Promise<unknown>;
  readonly contacts: vscode.WebviewViewProvider;
  deserializeChat(panel: vscode.WebviewPanel, state: unknown): Promise<void>;
  /** Signs out cleanly and hands the instance lock on (deactivate). */
  shutdown(): Promise<void>;
  deserializeRoom(panel: vscode.WebviewPanel, state: unknown): Promise<void>;
}

/**
 * Commands that need this window's own connection, OTR layer or room manager: in a follower
 * window (issue 7) they are not (yet) carried over the channel, and say so instead of failing
 * half-way or, for sharing, offering to send in the clear.
 */
const OWNER_ONLY = new Set([
  'padlock.joinRoom',
  'padlock.createRoom',
  'padlock.leaveRoom',
  'padlock.inviteToRoom',
  'padlock.generateKey',
  'padlock.exportKey',
  'padlock.importKey',
  'padlock.importPidginKeys',
  'padlock.showSecurity',
  'padlock.showFingerprints',
  'padlock.verifyContact',
  'padlock.shareSelection',
  'padlock.shareFile',
]);

export function start(context: vscode.ExtensionContext): Main {
  const channel = vscode.window.createOutputChannel('Padlock Chat', { log: true });
  const log: Logger = {
    info: (m) => channel.info(m),
    warn: (m) => channel.warn(m),
    error: (m) => channel.error(m),
    debug: (m) => channel.debug(m),
    debugEnabled: () => channel.logLevel !== vscode.LogLevel.Off && channel.logLevel <= vscode.LogLevel.Debug,
  };
  const accounts = new AccountManager(context, log);
  // Created before accounts.init() so every session gets its OTR layer.
  const otr = new OtrService(context, accounts, log);
  const verify = new VerifyPanels(context.extensionUri, otr, log, (id) => accounts.get(id));
  const chats = new ChatManager(context.extensionUri, accounts, log, otr, (s, jid) => verify.open(s, jid));
  const contacts = new ContactsViewProvider(context.extensionUri, accounts, chats, log);
  const security = new SecurityPage(context.extensionUri, accounts, otr, log);
  const statusBar = new StatusBar(accounts, chats);
  const contextKeys = new ContextKeys(accounts, otr);
  context.subscriptions.push(channel, accounts, otr, verify, chats, contacts, security, statusBar, contextKeys);
  const handlers = new Map<string, (...args: never[]) => unknown>();

  // Authorisation requests and answers (Jitsi's "authorization requested" window).
  context.subscriptions.push(
    accounts.onDidCreateSession((s) => watchSubscriptions(s)),
  );
  for (const s of accounts.list()) watchSubscriptions(s);

  const cmd = (id: string, fn: (...args: never[]) => unknown) => handlers.set(id, fn);

  cmd('padlock.addAccount', () => accounts.addAccountInteractive());
  cmd('padlock.removeAccount', async (arg?: ContactArg) => {
    const s = await pickAccount(accounts, arg?.account, vscode.l10n.t('Remove which account?'), false);
    if (!s) return;
    // The safe answer first: VS Code focuses a modal's first button, so Enter (and Escape, via
    // the Cancel it adds) keep the account; removing needs a deliberate choice
    // (test/browser/ui-palette-keyboard).
    const keep = vscode.l10n.t('Keep Account');
    const remove = vscode.l10n.t('Remove Account');
    const ok = await vscode.window.showWarningMessage(
      vscode.l10n.t('Remove {0} from Padlock?', s.jid),
      { modal: true, detail: vscode.l10n.t('Its password is deleted from secret storage. Its history stays on disk. The account itself stays on its server.') },
      keep,
      remove,
    );
    if (ok === remove) await accounts.removeAccount(s.id);
  });
  cmd('padlock.signIn', async (arg?: ContactArg) => {
    const s = await pickAccount(accounts, arg?.account, vscode.l10n.t('Sign in which account?'), false, (a) => a.state !== 'online');
    if (s) await accounts.signIn(s.id);
  });
  cmd('padlock.signOut', async (arg?: ContactArg) => {
    const s = await pickAccount(accounts, arg?.account, vscode.l10n.t('Sign out which account?'), false, (a) => a.state !== 'signedOut');
    if (s) await accounts.signOut(s.id);
  });
  cmd('padlock.setStatus', async (arg?: ContactArg & { show?: PresenceShow; status?: string }) => {
    const targets = arg?.account ? [accounts.get(arg.account)].filter((x): x is AccountSession => !!x) : accounts.list();
    if (!targets.length) return vscode.commands.executeCommand('padlock.addAccount');
    let show = arg?.show;
    let status = arg?.status;
    if (!show) {
      const items: (vscode.QuickPickItem & { show: PresenceShow })[] = [
        { label: `$(circle-filled) ${vscode.l10n.t('Available')}`, show: 'available' },
        { label: `$(clock) ${vscode.l10n.t('Away')}`, show: 'away' },
        { label: `$(circle-slash) ${vscode.l10n.t('Busy')}`, description: vscode.l10n.t('Do not disturb'), show: 'dnd' },
        { label: `$(circle-outline) ${vscode.l10n.t('Offline')}`, description: vscode.l10n.t('Sign out'), show: 'offline' },
      ];
      const pick = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Set Status') });
      if (!pick) return;
      show = pick.show;
      if (show !== 'offline') {
        status = await vscode.window.showInputBox({ title: vscode.l10n.t('Status message (optional)'), value: targets[0].presence.status ?? '' });
        if (status === undefined) return;
      }
    }
    for (const s of targets) {
      if (show !== 'offline' && s.state === 'signedOut') {
        await s.setPresence(show, status);
        await accounts.signIn(s.id);
      } else await s.setPresence(show, status);
    }
  });
  cmd('padlock.addContact', async (arg?: ContactArg) => {
    const s = await pickAccount(accounts, arg?.account, vscode.l10n.t('Add the contact to which account?'), true);
    if (!s) return;
    const groups = [...new Set([...s.roster.items.values()].flatMap((i) => i.groups))].sort();
    let group: string | undefined;
    if (groups.length) {
      const none = vscode.l10n.t('No group');
      const create = vscode.l10n.t('New group…');
      const pick = await vscode.window.showQuickPick([none, ...groups, create], { title: vscode.l10n.t('Add Contact: group') });
      if (pick === undefined) return;
      if (pick === create) {
        group = await vscode.window.showInputBox({ title: vscode.l10n.t('New group name') });
        if (group === undefined) return;
      } else if (pick !== none) group = pick;
    }
    const jid = arg?.jid ?? (await vscode.window.showInputBox({
      title: vscode.l10n.t('Add Contact: address'),
      prompt: vscode.l10n.t("Your contact's XMPP address"),
      placeHolder: 'name@example.org',
      validateInput: (v) => (isValidBareUserJid(v.trim()) ? undefined : vscode.l10n.t('Enter an address like name@example.org.')),
    }));
    if (!jid) return;
    const name = await vscode.window.showInputBox({ title: vscode.l10n.t('Add Contact: display name (optional)'), value: '' });
    if (name === undefined) return;
    await s.addContact(jid.trim(), name, group);
  });
  cmd('padlock.openChat', async (arg?: ContactArg) => {
    const target = await pickContact(accounts, arg, vscode.l10n.t('Open chat with… (or type an address)'), true);
    if (target) chats.open(target.session, target.jid);
  });
  cmd('padlock.removeContact', async (arg?: ContactArg) => {
    const target = await pickContact(accounts, arg, vscode.l10n.t('Remove which contact?'));
    if (!target) return;
    // The safe answer first, so Enter keeps the contact (as for Remove Account above).
    const keep = vscode.l10n.t('Keep Contact');
    const remove = vscode.l10n.t('Remove');
    const ok = await vscode.window.showWarningMessage(
      vscode.l10n.t('Remove {0} from your contacts?', target.jid),
      { modal: true, detail: vscode.l10n.t('You will no longer see each other\'s presence.') },
      keep,
      remove,
    );
    if (ok === remove) await target.session.removeContact(target.jid);
  });
  cmd('padlock.renameContact', async (arg?: ContactArg) => {
    const target = await pickContact(accounts, arg, vscode.l10n.t('Rename which contact?'));
    if (!target) return;
    const name = await vscode.window.showInputBox({ title: vscode.l10n.t('Display name for {0}', target.jid), value: target.session.roster.displayName(target.jid) });
    if (name !== undefined) await target.session.renameContact(target.jid, name);
  });
  cmd('padlock.moveContact', async (arg?: ContactArg) => {
    const target = await pickContact(accounts, arg, vscode.l10n.t('Move which contact?'));
    if (!target) return;
    const groups = [...new Set([...target.session.roster.items.values()].flatMap((i) => i.groups))].sort();
    const none = vscode.l10n.t('No group');
    const create = vscode.l10n.t('New group…');
    const pick = await vscode.window.showQuickPick([none, ...groups, create], { title: vscode.l10n.t('Move {0} to group', target.jid) });
    if (pick === undefined) return;
    let group: string | undefined = pick === none ? undefined : pick;
    if (pick === create) {
      group = await vscode.window.showInputBox({ title: vscode.l10n.t('New group name') });
      if (!group) return;
    }
    await target.session.moveContact(target.jid, group);
  });
  cmd('padlock.rerequestAuthorization', async (arg?: ContactArg) => {
    const target = await pickContact(accounts, arg, vscode.l10n.t('Ask which contact again?'));
    if (target) await target.session.requestAuthorization(target.jid);
  });
  cmd('padlock.showLog', () => channel.show());

  // -- private conversations (OTR) ----------------------------------------------------------
  cmd('padlock.generateKey', async (arg?: ContactArg) => {
    const s = await pickAccount(accounts, arg?.account, vscode.l10n.t('Generate a private key for which account?'), false);
    if (s) await otr.generateKey(s);
  });
  cmd('padlock.exportKey', async (arg?: ContactArg) => {
    const s = await pickAccount(accounts, arg?.account, vscode.l10n.t('Export the key of which account?'), false);
    if (s) await otr.exportKey(s);
  });
  cmd('padlock.importKey', async (arg?: ContactArg) => {
    const s = await pickAccount(accounts, arg?.account, vscode.l10n.t('Import a key for which account?'), false);
    if (s) await otr.importKey(s);
  });
  cmd('padlock.importPidginKeys', async (arg?: ContactArg) => {
    const s = await pickAccount(accounts, arg?.account, vscode.l10n.t('Import Pidgin keys for which account?'), false);
    if (s) await otr.importPidgin(s);
  });
  cmd('padlock.showSecurity', () => security.show());
  cmd('padlock.showFingerprints', () => security.show());
  const otrAction = (action: 'start' | 'refresh' | 'end', title: string) => async (arg?: ContactArg) => {
    const target = await pickContact(accounts, arg, title);
    if (!target) return;
    const remote = target.session;
    if (isRemote(remote)) {
      // The OTR instance lives in the window that owns the connection (issue 7).
      if (action === 'start') chats.open(target.session, target.jid, true);
      return remote.otrAction(target.jid, `${action}Private`);
    }
    const layer = otr.layer(target.session.id);
    if (!layer) throw new Error(vscode.l10n.t('Private conversations are not available for {0}.', target.session.jid));
    if (action === 'start') chats.open(target.session, target.jid, true);
    await layer[action](target.jid);
  };
  cmd('padlock.startPrivate', otrAction('start', vscode.l10n.t('Start a private conversation with…')));
  cmd('padlock.refreshPrivate', otrAction('refresh', vscode.l10n.t('Refresh the private conversation with…')));
  cmd('padlock.endPrivate', otrAction('end', vscode.l10n.t('End the private conversation with…')));
  cmd('padlock.verifyContact', async (arg?: ContactArg) => {
    const target = await pickContact(accounts, arg, vscode.l10n.t('Authenticate which contact?'));
    if (target) verify.open(target.session, target.jid);
  });

  // -- group chat (issue 6): one MucManager per session, created before accounts.init() signs in
  const rooms = new RoomsManager(context.extensionUri, accounts, log);
  context.subscriptions.push(rooms);
  contacts.attachRooms(rooms);
  contextKeys.attachRooms(rooms);
  contacts.attachOtr(otr);
  cmd('padlock.joinRoom', (arg?: RoomArg) => rooms.joinInteractive(arg));
  cmd('padlock.createRoom', (arg?: RoomArg) => rooms.createInteractive(arg));
  cmd('padlock.leaveRoom', (arg?: RoomArg) => rooms.leaveInteractive(arg));
  cmd('padlock.inviteToRoom', (arg?: RoomArg) => rooms.inviteCommand(arg));

  // -- sharing code (issue 4): padlock.shareSelection, padlock.shareFile -----------------------
  context.subscriptions.push(registerShareCommands(cmd, { context, accounts, otr, chats, rooms, log }));

  // Several windows (issue 7): only the window holding the instance lock signs in; the others
  // show its session through the local channel (src/host/instance.ts).
  const instance = new InstanceWiring(context, accounts, chats, otr, log);
  context.subscriptions.push(instance);
  const ready = instance
    .start()
    .then(() => undefined)
    .catch((err) => log.error(`init: ${String(err)}`));
  chats.accountsLoaded = ready;
  const api: PadlockApi = {
    accounts,
    chats,
    contacts,
    ready,
    contextKeys,
    instance,
    storage: { globalState: context.globalState, logUri: context.logUri, globalStorageUri: context.globalStorageUri },
  };
  return {
    api,
    contacts,
    deserializeChat: (panel, state) => chats.deserialize(panel, state),
    async shutdown() {
      // Closing the streams cleanly (RFC 6120 §4.4) makes the server store what arrives next
      // offline for the window that takes over; a dropped TCP connection would leave the
      // session hibernating under XEP-0198 and messages waiting there instead.
      // History records wait a few ms to be written together (src/core/history.ts): write them
      // now, the window is going away.
      const stops = Promise.all(accounts.list().map((s) => (isRemote(s) ? undefined : s.stop().catch(() => undefined))));
      await Promise.race([stops.then(() => accounts.history.flush().catch(() => undefined)), new Promise((r) => setTimeout(r, 1500))]);
      instance.dispose();
    },
    deserializeRoom: (panel, state) => rooms.deserialize(panel, state),
    async run(id, args) {
      const fn = handlers.get(id);
      if (!fn) throw new Error(vscode.l10n.t('Padlock has no command {0}.', id));
      if (accounts.isFollower && OWNER_ONLY.has(id)) {
        void vscode.window.showInformationMessage(
          vscode.l10n.t('Another VS Code window is connected to your accounts; this one shows its contacts and chats. Group chat, keys, authentication and sharing code work in that window.'),
        );
        return undefined;
      }
      try {
        return await fn(...(args as never[]));
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        log.warn(`${id}: ${msg}`);
        void vscode.window.showErrorMessage(msg);
        return undefined;
      }
    },
  };

  function watchSubscriptions(s: AccountSession): void {
    s.on('subscriptionRequest', ({ jid }) => void askAuthorization(s, jid));
    s.on('subscriptionAnswer', ({ jid, answer }) => {
      const who = plainForNotification(s.roster.displayName(jid), 80);
      if (answer === 'authorized') void vscode.window.showInformationMessage(vscode.l10n.t('{0} accepted your request: you can now see each other.', who));
      else void vscode.window.showWarningMessage(vscode.l10n.t('{0} denied your request to add them to your contacts.', who));
    });
  }

  /** Authorize / Deny / Ignore. Ignore (or dismissing) leaves it answerable from the tree. */
  async function askAuthorization(s: AccountSession, jid: string): Promise<void> {
    const authorize = vscode.l10n.t('Authorize');
    const deny = vscode.l10n.t('Deny');
    const ignore = vscode.l10n.t('Ignore');
    const pick = await vscode.window.showInformationMessage(
      vscode.l10n.t('{0} wants to add you ({1}) to their contacts.', plainForNotification(jid, 120), s.jid),
      authorize,
      deny,
      ignore,
    );
    if (!s.roster.requests.has(jid)) return; // answered from the tree meanwhile
    if (pick === authorize) await s.answerRequest(jid, 'authorize').catch((e) => vscode.window.showErrorMessage(String((e as Error).message)));
    else if (pick === deny) await s.answerRequest(jid, 'deny').catch((e) => vscode.window.showErrorMessage(String((e as Error).message)));
  }
}

async function pickAccount(
  accounts: AccountManager,
  id: string | undefined,
  title: string,
  onlineOnly: boolean,
  filter: (s: AccountSession) => boolean = () => true,
): Promise<AccountSession | undefined> {
  if (id) {
    const s = accounts.get(id);
    if (!s) throw new Error(vscode.l10n.t('Unknown account {0}.', id));
    return s;
  }
  const list = accounts.list().filter((s) => (!onlineOnly || s.state === 'online') && filter(s));
  if (!list.length) {
    if (!accounts.list().length) {
      const add = vscode.l10n.t('Add Account');
      if ((await vscode.window.showInformationMessage(vscode.l10n.t('Add an XMPP account first.'), add)) === add) {
        await vscode.commands.executeCommand('padlock.addAccount');
      }
    } else void vscode.window.showInformationMessage(onlineOnly ? vscode.l10n.t('Sign in to an account first.') : vscode.l10n.t('No account fits.'));
    return undefined;
  }
  if (list.length === 1) return list[0];
  const pick = await vscode.window.showQuickPick(
    list.map((s) => ({ label: s.jid, description: s.state, s })),
    { title },
  );
  return pick?.s;
}

async function pickContact(
  accounts: AccountManager,
  arg: ContactArg | undefined,
  title: string,
  allowAddress = false,
): Promise<{ session: AccountSession; jid: string } | undefined> {
  if (arg?.account && arg.jid) {
    const session = accounts.get(arg.account);
    if (!session) throw new Error(vscode.l10n.t('Unknown account {0}.', arg.account));
    return { session, jid: bareJid(arg.jid) };
  }
  type Item = vscode.QuickPickItem & { session: AccountSession; jid: string };
  const items: Item[] = accounts.list().flatMap((s) =>
    [...s.roster.items.values()].map((i) => {
      const p = s.roster.aggregate(i.jid);
      return {
        label: `$(${p.show === 'offline' ? 'circle-outline' : 'circle-filled'}) ${s.roster.displayName(i.jid)}`,
        description: i.jid,
        detail: accounts.list().length > 1 ? s.jid : undefined,
        session: s,
        jid: i.jid,
      };
    }),
  );
  if (!items.length && !allowAddress) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No contacts yet. Add one with "Padlock: Add Contact…".'));
    return undefined;
  }
  const online = accounts.list().filter((s) => s.state === 'online');
  const qp = vscode.window.createQuickPick<Item>();
  qp.title = title;
  qp.matchOnDescription = true;
  qp.items = items;
  if (allowAddress) {
    // Anyone can be written to, not only roster contacts: a typed address becomes an item.
    qp.onDidChangeValue((v) => {
      const typed = v.trim();
      const extra: Item[] =
        isValidBareUserJid(typed) && !items.some((i) => i.jid === bareJid(typed)) && online.length
          ? online.map((s) => ({ label: `$(comment) ${typed}`, description: vscode.l10n.t('chat with this address from {0}', s.jid), alwaysShow: true, session: s, jid: bareJid(typed) }))
          : [];
      qp.items = [...extra, ...items];
    });
  }
  const pick = await new Promise<Item | undefined>((resolve) => {
    qp.onDidAccept(() => resolve(qp.selectedItems[0]));
    qp.onDidHide(() => resolve(undefined));
    qp.show();
  });
  qp.dispose();
  return pick ? { session: pick.session, jid: pick.jid } : undefined;
}
