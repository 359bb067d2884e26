/**
 * The command palette in the real VS Code host: the `when`-clause context keys follow the
 * accounts, contacts, keys and private conversations, and each palette command with a quick
 * pick is completed by keyboard alone (keys pressed in Chromium by the outer runner, see
 * ./keys.ts): Set Status, Open Chat, Verify Contact, Generate Private Key, Start and End
 * Private Conversation, Sign Out, Sign In, Rename and Move Contact; Escape cancels.
 *
 * Runs after extension.test.ts (test/host/index.ts): alice and bob are provisioned accounts on
 * the test Prosody; this suite signs both in and has alice add bob as a contact.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { AccountSession } from '../../src/core/account';
import type { OtrLayer } from '../../src/core/otr/layer';
import type { ContextKey } from '../../src/host/contextKeys';
import type { PadlockApi, PadlockEntry } from '../../src/host/extension';
import { answer, type Key } from './keys';

const EXTENSION_ID = 'padlock.padlock-chat';

/** Resolves when `cond()` holds, re-checking on each of `events`; rejects after timeoutMs. */
function when(cond: () => boolean, events: vscode.Event<unknown>[], what: string, timeoutMs = 20_000): Promise<void> {
  if (cond()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const subs: vscode.Disposable[] = [];
    const done = (err?: Error) => {
      clearTimeout(timer);
      for (const s of subs) s.dispose();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => done(new Error(`timed out waiting for ${what}`)), timeoutMs);
    for (const e of events) subs.push(e(() => cond() && done()));
  });
}

/** Like when(), but resolves false instead of failing. */
function within(cond: () => boolean, events: vscode.Event<unknown>[], timeoutMs: number): Promise<boolean> {
  return when(cond, events, '', timeoutMs).then(
    () => true,
    () => false,
  );
}

type Answer = [title: string, ...keys: Key[]];

/**
 * Runs a palette command and answers its pickers by keyboard until `done()` says it took
 * effect. Up to three tries: a webview that opens or closes in the workbench can take the focus
 * just as a picker shows, and a quick pick that loses the focus closes (as VS Code's do), which
 * cancels the command. Three misses in a row fail the test.
 */
async function byKeyboard(command: string, answers: Answer[], done: () => boolean | Promise<boolean>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    for (const [title, ...keys] of answers) answer(title, ...keys);
    await vscode.commands.executeCommand(command);
    if (await done()) return;
    assert.ok(attempt < 3, `${command} was not completed by keyboard in 3 tries`);
    console.log(`[palette] ${command} not completed (try ${attempt}); again`);
  }
}

function tabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs);
}

/**
 * Waits for a tab (the workbench reports new tabs asynchronously), then closes it: a webview
 * that loads takes the focus, and a quick pick that loses focus closes, which would cancel the
 * next test's picker.
 */
async function seeAndCloseTab(match: (label: string) => boolean, what: string): Promise<void> {
  await when(() => tabs().some((t) => match(t.label)), [vscode.window.tabGroups.onDidChangeTabs], `${what}; tabs: ${tabs().map((t) => t.label).join(', ')}`);
  await vscode.window.tabGroups.close(tabs().filter((t) => match(t.label)));
}

suite('command palette (keyboard only)', () => {
  let api: PadlockApi;
  let alice: AccountSession;
  let bob: AccountSession;
  const key = (k: ContextKey) => api.contextKeys.get(k);
  const keyIs = (k: ContextKey, v: boolean) => when(() => key(k) === v, [api.contextKeys.onDidChange], `${k} == ${v}`, 40_000);
  const online = (s: AccountSession) => when(() => s.state === 'online', [api.accounts.onDidChange], `${s.jid} online`);
  const otrOf = (s: AccountSession) => s.layer as OtrLayer;

  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension<PadlockEntry>(EXTENSION_ID)!;
    api = await (await ext.activate()).load();
    await api.ready;
    const list = api.accounts.list();
    alice = list.find((s) => s.jid.startsWith('alice@'))!;
    bob = list.find((s) => s.jid.startsWith('bob@'))!;
    assert.ok(alice && bob, `alice and bob are provisioned: ${list.map((s) => s.jid).join(', ')}`);
    for (const s of [alice, bob]) if (s.state !== 'online') await api.accounts.signIn(s.id);
    await Promise.all([online(alice), online(bob)]);
  });

  test('context keys: accounts signed in, no contact, no private conversation yet', async () => {
    await keyIs('padlock.hasAccounts', true);
    await keyIs('padlock.signedIn', true);
    await keyIs('padlock.canSignOut', true);
    assert.equal(key('padlock.hasPrivateConversation'), false);
    assert.equal(key('padlock.inRoom'), false);
  });

  test('Sign Out, then Sign In: the account is picked by typing and Enter', async () => {
    // Two accounts fit, so both commands ask which one.
    await byKeyboard('padlock.signOut', [['Sign out which account?', { type: 'bob@' }, 'Enter']], () => bob.state === 'signedOut');
    assert.equal(bob.state, 'signedOut');
    assert.equal(alice.state, 'online');
    await keyIs('padlock.canSignIn', true);
    // Only bob can sign in now: no quick pick at all.
    await vscode.commands.executeCommand('padlock.signIn');
    await online(bob);
    await keyIs('padlock.canSignIn', false);
  });

  test('Set Status: pick with the arrow keys, type the message, Enter', async () => {
    await byKeyboard(
      'padlock.setStatus',
      [
        ['Set Status', 'ArrowDown', 'Enter'], // Available, [Away], Busy, Offline
        ['Status message (optional)', 'Control+a', { type: 'In a review' }, 'Enter'],
      ],
      () => alice.presence.show === 'away',
    );
    assert.equal(alice.presence.show, 'away');
    assert.equal(alice.presence.status, 'In a review');
    await vscode.commands.executeCommand('padlock.setStatus', { show: 'available', status: '' });
    assert.equal(alice.presence.show, 'available');
  });

  test('Open Chat: the contact is found by typing its name', async () => {
    await alice.addContact(bob.jid, 'Bob');
    await when(() => alice.roster.items.has(bob.jid), [api.accounts.onDidChange], 'bob in alice\'s roster');
    await keyIs('padlock.hasContacts', true);
    await byKeyboard('padlock.openChat', [['Open chat with… (or type an address)', { type: 'Bob' }, 'Enter']], () =>
      within(() => tabs().some((t) => t.label.startsWith('Bob')), [vscode.window.tabGroups.onDidChangeTabs], 5000),
    );
    await seeAndCloseTab((l) => l.startsWith('Bob'), 'a chat tab "Bob"');
  });

  test('Verify Contact: a quick pick of contacts, then the Authenticate dialog', async () => {
    await byKeyboard('padlock.verifyContact', [['Authenticate which contact?', { type: 'Bob' }, 'Enter']], () =>
      within(() => tabs().some((t) => t.label === 'Authenticate Bob'), [vscode.window.tabGroups.onDidChangeTabs], 5000),
    );
    await seeAndCloseTab((l) => l === 'Authenticate Bob', 'the Authenticate Bob tab');
  });

  test('Generate Private Key: account by keyboard, the key exists afterwards', async () => {
    await otrOf(alice).whenReady();
    assert.equal(otrOf(alice).hasKey(), false, 'a fresh profile has no key for alice');
    await byKeyboard('padlock.generateKey', [['Generate a private key for which account?', { type: 'alice@' }, 'Enter']], () => otrOf(alice).hasKey());
    assert.equal(otrOf(alice).hasKey(), true);
    await keyIs('padlock.hasKey', true);
  });

  test('Start Private Conversation by keyboard; the context key follows', async () => {
    await byKeyboard('padlock.startPrivate', [['Start a private conversation with…', { type: 'Bob' }, 'Enter']], () => otrOf(alice).state(bob.jid) !== 'plaintext');
    // Bob's account (same host) answers the OTR query: the AKE runs over Prosody.
    await keyIs('padlock.hasPrivateConversation', true);
    assert.match(otrOf(alice).state(bob.jid), /^private-/);
    // Bob's side goes private last, on alice's Signature message (OTR v3 AKE); the next test
    // has bob ask a question, which needs it (a CI run asked a moment too early).
    const bobSide = otrOf(bob);
    if (!/^private-/.test(bobSide.state(alice.jid))) await bobSide.waitFor('state', (e) => e.contact === alice.jid && /^private-/.test(e.state), 20_000);
    // It opened the chat (in the background): close it, so no webview moves the focus later.
    await seeAndCloseTab((l) => l.startsWith('Bob'), 'the chat with Bob');
  });

  test('a verification request stays answerable from the tree after its dialog is closed', async () => {
    const bobInTree = () => api.contacts.state().accounts.find((a) => a.id === alice.id)?.contacts.find((c) => c.jid === bob.jid);
    // Bob asks alice a question (OTR v3 SMP): alice's Authenticate dialog opens by itself.
    await otrOf(bob).smpQuestion(alice.jid, 'Where did we meet?', 'Lisbon');
    await when(() => tabs().some((t) => t.label === 'Authenticate Bob'), [vscode.window.tabGroups.onDidChangeTabs], 'the Authenticate dialog');
    assert.equal(bobInTree()?.verifyRequest, true, 'the tree shows the request');
    await seeAndCloseTab((l) => l === 'Authenticate Bob', 'the Authenticate Bob tab');
    assert.equal(bobInTree()?.verifyRequest, true, 'closing the dialog does not lose the request');
    // The tree's "Answer the verification request…" runs Verify Contact for that contact.
    await vscode.commands.executeCommand('padlock.verifyContact', { account: alice.id, jid: bob.jid });
    await seeAndCloseTab((l) => l === 'Authenticate Bob', 'the Authenticate Bob tab again');
    assert.equal(bobInTree()?.verifyRequest, true);
    // Declining ends it: the tree no longer offers it.
    await otrOf(alice).smpAbort(bob.jid);
    assert.equal(bobInTree()?.verifyRequest, undefined, 'an aborted request is still shown');
  });

  test('End Private Conversation by keyboard; the context key follows', async () => {
    await byKeyboard('padlock.endPrivate', [['End the private conversation with…', { type: 'Bob' }, 'Enter']], () => otrOf(alice).state(bob.jid) === 'plaintext');
    assert.equal(otrOf(alice).state(bob.jid), 'plaintext');
    // Bob's side is (or is about to be) FINISHED (OTR v3): "endable" until bob ends it too.
    await vscode.commands.executeCommand('padlock.endPrivate', { account: bob.id, jid: alice.jid });
    await keyIs('padlock.hasPrivateConversation', false);
  });

  test('Rename Contact and Move Contact to Group: contact, name and new group by keyboard', async () => {
    await byKeyboard(
      'padlock.renameContact',
      [
        ['Rename which contact?', { type: 'Bob' }, 'Enter'],
        [`Display name for ${bob.jid}`, 'Control+a', { type: 'Bobby' }, 'Enter'],
      ],
      () => within(() => alice.roster.displayName(bob.jid) === 'Bobby', [api.accounts.onDidChange], 5000),
    );
    await byKeyboard(
      'padlock.moveContact',
      [
        ['Move which contact?', { type: 'Bobby' }, 'Enter'],
        [`Move ${bob.jid} to group`, { type: 'New group' }, 'Enter'],
        ['New group name', { type: 'Reviewers' }, 'Enter'],
      ],
      () => within(() => alice.roster.items.get(bob.jid)?.groups.includes('Reviewers') === true, [api.accounts.onDidChange], 5000),
    );
  });

  test('Escape cancels a picker and nothing happens', async () => {
    answer('Remove which contact?', 'Escape');
    await vscode.commands.executeCommand('padlock.removeContact');
    assert.ok(alice.roster.items.has(bob.jid), 'bob is still a contact');
  });
});
