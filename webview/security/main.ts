/**
 * "Padlock: Security" (Jitsi Desktop's Options > Security > Chat): the OTR key of each account,
 * the default policy, whether private conversations are logged, and the fingerprints of contacts.
 *
 * Display data only: fingerprints are text, private keys never reach a webview. Every change is a
 * request; the host answers with a new `state` notification (and asks for confirmation itself
 * where something cannot be undone: regenerating a key, forgetting a fingerprint).
 */
// Must come first: lets the toolkit's feature detection pass the CSP (see cspNonce.ts).
import '../shared/cspNonce';
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeCheckbox,
  vsCodeDivider,
  vsCodeProgressRing,
  vsCodeRadio,
  vsCodeRadioGroup,
} from '@vscode/webview-ui-toolkit';
import type { OtrPolicyView, SecurityNotifications, SecurityRequests, SecurityState } from '../../src/shared/protocol';
import { announce, h, icon, replaceChildren } from '../shared/dom';
import { createWebviewIpc } from '../shared/ipc';
import { fingerprintGroups, formatFingerprint } from '../verify/fingerprint';
import { l10n } from '../shared/l10n';

provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeCheckbox(), vsCodeDivider(), vsCodeProgressRing(), vsCodeRadio(), vsCodeRadioGroup());

const ipc = createWebviewIpc<SecurityRequests, SecurityNotifications>();

const app = document.getElementById('app')!;
const errorBar = h('div', { class: 'notice notice-error', role: 'alert', hidden: true });
const content = h('div', { class: 'content' }, h('p', { class: 'secondary' }, l10n.t('Loading…')));
app.append(
  h(
    'div',
    { class: 'page' },
    h('header', { class: 'page-head' }, h('h1', null, l10n.t('Security')), h('p', { class: 'secondary' }, l10n.t('Private conversations (OTR): your keys, when to use them, and the keys of your contacts.'))),
    errorBar,
    content,
  ),
);

let state: SecurityState | undefined;

// ---------------------------------------------------------------------------------------------
// Requests

type Req = SecurityRequests;
function send<M extends keyof Req & string>(method: M, params: Req[M]['params'], done?: string): void {
  errorBar.hidden = true;
  ipc.request(method, params).then(
    () => {
      if (done) announce(done);
    },
    (err: Error) => {
      replaceChildren(errorBar, icon('error'), h('span', { class: 'error-bar-text' }, err.message), closeErrorButton());
      errorBar.hidden = false;
    },
  );
}

function closeErrorButton(): HTMLElement {
  return h('button', { class: 'icon-button', title: l10n.t('Dismiss'), 'aria-label': l10n.t('Dismiss'), on: { click: () => (errorBar.hidden = true) } }, icon('close'));
}

// ---------------------------------------------------------------------------------------------
// Pieces

/** A button that keeps its focus across re-renders (`key` identifies it). */
function button(key: string, label: string, onClick: () => void, opts: { appearance?: 'primary' | 'secondary'; disabled?: boolean; title?: string; icon?: string } = {}): HTMLElement {
  return h(
    'vscode-button',
    {
      'data-key': key,
      appearance: opts.appearance ?? 'secondary',
      disabled: opts.disabled,
      title: opts.title,
      on: { click: () => onClick() },
    },
    opts.icon ? h('span', { slot: 'start', class: `codicon codicon-${opts.icon}`, 'aria-hidden': 'true' }) : null,
    label,
  );
}

function fingerprint(fp: string): HTMLElement {
  const groups = fingerprintGroups(fp);
  if (!groups.length) return h('code', { class: 'fingerprint' }, fp);
  return h(
    'code',
    { class: 'fingerprint', 'aria-label': l10n.t('Fingerprint {0}', groups.join(', ')), role: 'text' },
    ...groups.map((g) => h('span', { class: 'fp-group' }, g)),
  );
}

function copyButton(key: string, fp: string, what: string): HTMLElement {
  return h(
    'button',
    {
      class: 'icon-button',
      'data-key': key,
      title: l10n.t('Copy fingerprint'),
      'aria-label': l10n.t('Copy {0}', what),
      on: { click: () => send('copy', { text: formatFingerprint(fp) }, l10n.t('Fingerprint copied to the clipboard.')) },
    },
    icon('copy'),
  );
}

function section(id: string, heading: string, ...children: Array<Node | null>): HTMLElement {
  return h('section', { class: 'section', 'aria-labelledby': id }, h('h2', { id }, heading), ...children);
}

// --- Private keys

function keysSection(s: SecurityState): HTMLElement {
  if (s.accounts.length === 0) {
    return section(
      'keys-heading',
      l10n.t('Private keys (OTR)'),
      h('div', { class: 'empty' }, icon('key'), h('p', null, l10n.t('No accounts yet. Add an account (Padlock: Add Account…), then generate its key here.'))),
    );
  }
  return section(
    'keys-heading',
    l10n.t('Private keys (OTR)'),
    h(
      'p',
      { class: 'secondary section-intro' },
      l10n.t('One key per account. Your contacts recognise you by its fingerprint: if you use Padlock on another device, export the key there instead of generating a new one.'),
    ),
    h(
      'div',
      { class: 'keys' },
      ...s.accounts.map((a) => {
        const k = `acct:${a.id}`;
        let body: HTMLElement;
        if (a.generating) {
          body = h('div', { class: 'key-state', role: 'status' }, h('vscode-progress-ring', { class: 'small-ring', 'aria-hidden': 'true' }), h('span', null, l10n.t('Generating…')));
        } else if (a.fingerprint) {
          body = h('div', { class: 'key-fp' }, fingerprint(a.fingerprint), copyButton(`${k}:copy`, a.fingerprint, `the fingerprint of ${a.jid}`));
        } else {
          body = h('div', { class: 'key-state' }, icon('warning', undefined, 'warn-icon'), h('span', null, l10n.t('No key yet: generate one before your first private conversation.')));
        }
        const busy = a.generating;
        return h(
          'div',
          { class: 'key-card', role: 'group', 'aria-label': l10n.t('Key of {0}', a.jid) },
          h('div', { class: 'key-jid' }, icon('account'), h('span', null, a.jid)),
          body,
          h(
            'div',
            { class: 'key-actions' },
            a.fingerprint
              ? button(`${k}:gen`, l10n.t('Regenerate…'), () => send('generate', { account: a.id }), {
                  disabled: busy,
                  title: l10n.t('Replace this key with a new one (asks first: contacts will see an unrecognised key)'),
                })
              : button(`${k}:gen`, l10n.t('Generate'), () => send('generate', { account: a.id }), { appearance: 'primary', disabled: busy }),
            button(`${k}:export`, l10n.t('Export…'), () => send('exportKey', { account: a.id }), { disabled: busy || !a.fingerprint, title: l10n.t('Save the key to a passphrase-protected file') }),
            button(`${k}:import`, l10n.t('Import…'), () => send('importKey', { account: a.id }), { disabled: busy, title: l10n.t('Use a key exported from Padlock') }),
            button(`${k}:pidgin`, l10n.t('Import from Pidgin…'), () => send('importPidgin', { account: a.id }), {
              disabled: busy,
              title: l10n.t('Import the key and known fingerprints from Pidgin or another libotr client (otr.private_key, otr.fingerprints)'),
            }),
          ),
        );
      }),
    ),
  );
}

// --- Policy and history

const POLICIES: Array<{ value: OtrPolicyView; label: string; hint: string }> = [
  { value: 'manual', label: l10n.t('Manual'), hint: l10n.t('Start a private conversation only when you click the padlock.') },
  { value: 'opportunistic', label: l10n.t('Opportunistic'), hint: l10n.t('Let contacts know you can talk privately, and start automatically with those who can.') },
  { value: 'required', label: l10n.t('Required'), hint: l10n.t('Never send a message in plaintext: messages wait until the private conversation is up.') },
];

function policySection(s: SecurityState): HTMLElement {
  const group = h(
    'vscode-radio-group',
    {
      'data-key': 'policy',
      orientation: 'vertical',
      value: s.policy,
      on: {
        change: (e) => {
          const v = (e.currentTarget as HTMLElement & { value: string }).value as OtrPolicyView;
          if (state && v && v !== state.policy) send('setPolicy', { policy: v }, l10n.t('Default policy: {0}.', v));
        },
      },
    },
    h('label', { slot: 'label', class: 'visually-hidden' }, l10n.t('Default policy')),
    ...POLICIES.map((p) =>
      h(
        'vscode-radio',
        { value: p.value, checked: p.value === s.policy },
        h('span', { class: 'radio-label' }, p.label),
        h('span', { class: 'radio-hint' }, ` — ${p.hint}`),
      ),
    ),
  );
  const logging = h(
    'vscode-checkbox',
    {
      'data-key': 'logging',
      checked: s.logging,
      'aria-describedby': 'logging-hint',
      on: {
        change: (e) => {
          const v = (e.currentTarget as HTMLElement & { checked: boolean }).checked;
          if (state && v !== state.logging) send('setLogging', { logging: v }, v ? l10n.t('Private conversations will be kept in history.') : l10n.t('Private conversations will not be kept.'));
        },
      },
    },
    l10n.t('Keep history of private conversations'),
  );
  return section(
    'policy-heading',
    l10n.t('Policy'),
    h('p', { class: 'secondary section-intro' }, l10n.t('When to talk privately, for contacts without a policy of their own (set one from the padlock in a chat).')),
    h('div', { class: 'policy' }, group),
    h('vscode-divider', { role: 'presentation' }),
    logging,
    h(
      'p',
      { id: 'logging-hint', class: ['logging-hint', s.logging ? 'warning-text' : 'secondary'] },
      icon(s.logging ? 'warning' : 'info'),
      h(
        'span',
        null,
        s.logging
          ? ' On: private conversations are written to this computer’s chat history, readable by anyone with access to it. Off by default.'
          : ' Off (the default): private conversations are not written to history, so they are gone when the chat is closed.',
      ),
    ),
  );
}

// --- Known fingerprints

function knownSection(s: SecurityState): HTMLElement {
  if (s.known.length === 0) {
    return section(
      'known-heading',
      l10n.t('Known fingerprints'),
      h(
        'div',
        { class: 'empty' },
        icon('shield'),
        h('p', null, l10n.t('No fingerprints yet. They are added when you have a private conversation with a contact (or import them from Pidgin). Authenticate each contact once to mark their fingerprint verified.')),
      ),
    );
  }
  const multi = new Set(s.known.map((k) => k.account)).size > 1;
  const accountJid = (id: string) => s.accounts.find((a) => a.id === id)?.jid ?? id;
  const rows = [...s.known]
    .sort((a, b) => a.name.localeCompare(b.name) || a.contact.localeCompare(b.contact) || Number(b.current) - Number(a.current))
    .map((k) => {
      const key = `fp:${k.account}:${k.contact}:${k.fingerprint}`;
      return h(
        'tr',
        null,
        h(
          'td',
          { class: 'who' },
          h('div', { class: 'who-name' }, k.name || k.contact),
          h('div', { class: 'who-jid secondary' }, k.contact),
          multi ? h('div', { class: 'who-acct secondary' }, l10n.t('via {0}', accountJid(k.account))) : null,
        ),
        h(
          'td',
          { class: 'fp-cell' },
          fingerprint(k.fingerprint),
        ),
        h(
          'td',
          { class: 'state-cell' },
          h(
            'span',
            { class: ['pill', k.verified ? 'pill-ok' : 'pill-warn'] },
            icon(k.verified ? 'verified-filled' : 'warning'),
            h('span', null, k.verified ? l10n.t('Verified') : l10n.t('Unverified')),
          ),
          k.current ? h('span', { class: 'current', title: l10n.t('The key {0} uses now (or used last)', k.name) }, l10n.t('current')) : null,
        ),
        h(
          'td',
          { class: 'actions-cell' },
          button(
            `${key}:verify`,
            k.verified ? l10n.t('Unverify') : l10n.t('Verify'),
            () =>
              send(
                'setVerified',
                { account: k.account, contact: k.contact, fingerprint: k.fingerprint, verified: !k.verified },
                k.verified ? l10n.t("{0}'s fingerprint is no longer verified.", k.name) : l10n.t("{0}'s fingerprint is verified.", k.name),
              ),
            { title: k.verified ? l10n.t('Mark this fingerprint as not verified') : l10n.t('Only if you compared it with {0} over another channel', k.name) },
          ),
          h(
            'button',
            {
              class: 'icon-button',
              'data-key': `${key}:forget`,
              title: l10n.t('Forget this fingerprint…'),
              'aria-label': l10n.t("Forget {0}'s fingerprint {1}", k.name, formatFingerprint(k.fingerprint)),
              on: { click: () => send('forget', { account: k.account, contact: k.contact, fingerprint: k.fingerprint }) },
            },
            icon('trash'),
          ),
        ),
      );
    });
  return section(
    'known-heading',
    l10n.t('Known fingerprints'),
    h('p', { class: 'secondary section-intro' }, l10n.t('Keys your contacts have used in private conversations. Verify one only after comparing it with the contact over another channel (in person, by voice or video).')),
    h(
      'table',
      { class: 'known' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, l10n.t('Contact')), h('th', { scope: 'col' }, l10n.t('Fingerprint')), h('th', { scope: 'col' }, l10n.t('State')), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, l10n.t('Actions'))))),
      h('tbody', null, ...rows),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Render (whole page; focus is put back on the control that had it)

function render(s: SecurityState): void {
  state = s;
  const active = document.activeElement?.closest('[data-key]')?.getAttribute('data-key');
  const y = window.scrollY;
  replaceChildren(content, keysSection(s), h('vscode-divider', { role: 'presentation' }), policySection(s), h('vscode-divider', { role: 'presentation' }), knownSection(s));
  window.scrollTo(0, y);
  if (active) {
    const el = [...content.querySelectorAll<HTMLElement>('[data-key]')].find((e) => e.dataset.key === active);
    if (el && !el.hasAttribute('disabled')) el.focus();
  }
}

ipc.onNotification('state', render);

function start(): void {
  ipc.ready().then(
    (s) => {
      render(s);
      document.body.classList.add('loaded');
    },
    (err: Error) => {
      replaceChildren(
        errorBar,
        icon('error'),
        h('span', { class: 'error-bar-text' }, l10n.t('Could not load the security settings: {0}', err.message)),
        h('vscode-button', { appearance: 'secondary', on: { click: () => ((errorBar.hidden = true), start()) } }, l10n.t('Retry')),
      );
      errorBar.hidden = false;
    },
  );
}
start();
