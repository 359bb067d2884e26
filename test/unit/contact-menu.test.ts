// The contact row's actions (webview/contacts/contactMenu.ts): the private-conversation actions
// (Start / Refresh / End Private Conversation, Authenticate) beside message, rename, move and
// remove, as in Jitsi's and Pidgin's buddy menus; every action the host accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTACT_ACTIONS, type ContactView } from '../../src/shared/protocol';
import { contactMenu } from '../../webview/contacts/contactMenu';

const contact = (extra: Partial<ContactView> = {}): ContactView => ({
  account: 'acct',
  jid: 'ada@example.org',
  name: 'Ada',
  groups: [],
  presence: 'available',
  subscription: 'both',
  pendingOut: false,
  denied: false,
  unread: 0,
  ...extra,
});

test('contact actions include the private-conversation actions and Authenticate', () => {
  const labels = contactMenu(contact()).map((i) => i.label);
  assert.deepEqual(labels, [
    'Send message',
    'Start Private Conversation',
    'Refresh Private Conversation',
    'End Private Conversation',
    'Authenticate Ada…',
    'Rename…',
    'Move to group…',
    'Remove…',
  ]);
});

test('every contact action is one the host validates (or opens the chat)', () => {
  const items = contactMenu(contact({ subscription: 'none' }));
  assert.ok(items.some((i) => i.action === 'rerequest'));
  for (const i of items) assert.ok(i.action === 'open' || CONTACT_ACTIONS.includes(i.action), i.action);
  for (const a of ['startPrivate', 'refreshPrivate', 'endPrivate', 'authenticate'] as const) assert.ok(items.some((i) => i.action === a), a);
});
