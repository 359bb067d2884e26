/**
 * Authenticate dialog: one editor panel per contact (Jitsi Desktop's "Authenticate Buddy").
 *
 * Three ways to make sure who is at the other end of a private conversation: a question only
 * they can answer, a secret agreed beforehand (both the Socialist Millionaires' Protocol, run by
 * the host), or comparing fingerprints over another channel. When the contact starts SMP, the
 * host opens this dialog on the answering side (`incoming`).
 *
 * Questions, answers and secrets live only in the input fields until submitted: never in
 * webview state (VS Code writes it to disk), and the fields are cleared after each submit.
 * Only the chosen method is remembered.
 */
// Must come first: lets the toolkit's feature detection pass the CSP (see cspNonce.ts).
import '../shared/cspNonce';
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeDropdown,
  vsCodeOption,
  vsCodeProgressRing,
  vsCodeRadio,
  vsCodeRadioGroup,
  vsCodeTextField,
} from '@vscode/webview-ui-toolkit';
import type { VerifyNotifications, VerifyRequests, VerifyState } from '../../src/shared/protocol';
import { announce, h, icon, replaceChildren } from '../shared/dom';
import { createWebviewIpc, loadState, saveState } from '../shared/ipc';
import { fingerprintGroups, formatFingerprint } from './fingerprint';
import { type Method, methodLabel, verifiedOptions, dialogTitle, ownFingerprintLabel, resultView, theirFingerprintLabel, verifiedSentence } from './texts';
import { l10n } from '../shared/l10n';

provideVSCodeDesignSystem().register(
  vsCodeButton(),
  vsCodeDropdown(),
  vsCodeOption(),
  vsCodeProgressRing(),
  vsCodeRadio(),
  vsCodeRadioGroup(),
  vsCodeTextField(),
);

const ipc = createWebviewIpc<VerifyRequests, VerifyNotifications>();

interface ViewState {
  method: Method;
}
const viewState = loadState<ViewState>({ method: 'question' });

/** The toolkit's form controls expose `value` (and `disabled`) as properties. */
type Field = HTMLElement & { value: string; disabled: boolean };

// ---------------------------------------------------------------------------------------------
// Layout: built once; `render()` only updates texts, visibility and disabled states, so a state
// notification never wipes what the user is typing.

const app = document.getElementById('app')!;

const title = h('h1', { class: 'title', id: 'title' }, l10n.t('Authenticate'));
const jidLine = h('div', { class: 'jid' });
const verifiedBadge = h('span', { class: 'state-badge' });
const intro = h(
  'p',
  { class: 'intro' },
  l10n.t(
    'Make sure you are talking to the right person, and not to someone pretending to be them. Do it over another channel than this chat: face to face, or by voice or video, where you can tell it is them.',
  ),
);
const notPrivate = h('div', { class: 'notice notice-warning', role: 'status', hidden: true });
const errorBar = h('div', { class: 'notice notice-error', role: 'alert', hidden: true });

// --- Result of the last run (succeeded / failed / aborted) and progress
const resultBox = h('div', { class: 'result', role: 'status', hidden: true });
const progressText = h('span', { class: 'progress-text' });
const cancelButton = h('vscode-button', { appearance: 'secondary', on: { click: () => void abort() } }, l10n.t('Cancel'));
const progressBox = h(
  'section',
  { class: 'progress', hidden: true, 'aria-live': 'polite' },
  h('vscode-progress-ring', { 'aria-label': l10n.t('Authenticating') }),
  progressText,
  cancelButton,
);

// --- Answer mode: they asked us
const answerQuestion = h('p', { class: 'their-question' });
const answerField = textField('answer', l10n.t('Your answer'));
const answerButton = h('vscode-button', { on: { click: () => void respond() } }, l10n.t('Authenticate'));
const answerCancel = h('vscode-button', { appearance: 'secondary', on: { click: () => void abort() } }, l10n.t('Cancel'));
const answerHeading = h('h2', { id: 'answer-heading' });
const answerBox = h(
  'section',
  { class: 'answer', hidden: true, 'aria-labelledby': 'answer-heading' },
  answerHeading,
  answerQuestion,
  answerField,
  h('p', { class: 'hint' }, l10n.t('The answer must match theirs exactly: capitals, spaces and punctuation count.')),
  h('div', { class: 'buttons' }, answerButton, answerCancel),
);

// --- Choose a method
const radios = h(
  'vscode-radio-group',
  { orientation: 'vertical', value: viewState.method, on: { change: () => chooseMethod() } },
  h('label', { slot: 'label' }, l10n.t('How would you like to authenticate?')),
  h('vscode-radio', { value: 'question' }, methodLabel('question')),
  h('vscode-radio', { value: 'secret' }, methodLabel('secret')),
  h('vscode-radio', { value: 'fingerprint' }, methodLabel('fingerprint')),
) as HTMLElement & { value: string };

const questionField = textField('question', l10n.t('Question'));
const questionAnswerField = textField('qa-answer', l10n.t('Answer'));
const questionButton = h('vscode-button', { on: { click: () => void askQuestion() } }, l10n.t('Authenticate'));
const questionPanel = h(
  'div',
  { class: 'method', 'data-method': 'question' },
  h('p', { class: 'hint question-hint' }),
  questionField,
  questionAnswerField,
  h('p', { class: 'hint' }, l10n.t('Pick something only they know, that cannot be guessed or looked up. The answer is never sent: only whether both answers match is found out.')),
  h('div', { class: 'buttons' }, questionButton),
);

const secretField = textField('secret', l10n.t('Shared secret'));
const secretButton = h('vscode-button', { on: { click: () => void sharedSecret() } }, l10n.t('Authenticate'));
const secretPanel = h(
  'div',
  { class: 'method', 'data-method': 'secret' },
  h('p', { class: 'hint secret-hint' }),
  secretField,
  h('div', { class: 'buttons' }, secretButton),
);

const ownFpLabel = h('div', { class: 'fp-label', id: 'own-fp-label' }, l10n.t('Your fingerprint'));
const ownFp = h('div', { class: 'fingerprint', role: 'group', 'aria-labelledby': 'own-fp-label' });
const theirFpLabel = h('div', { class: 'fp-label', id: 'their-fp-label' });
const theirFp = h('div', { class: 'fingerprint', role: 'group', 'aria-labelledby': 'their-fp-label' });
const verifiedSelect = h(
  'vscode-dropdown',
  { id: 'fp-verified', 'aria-labelledby': 'fp-verified-label' },
  h('vscode-option', { value: 'no' }, verifiedOptions().no),
  h('vscode-option', { value: 'yes' }, verifiedOptions().yes),
) as Field;
const verifiedRest = h('span', { id: 'fp-verified-label' });
const fingerprintButton = h('vscode-button', { on: { click: () => void setVerified() } }, l10n.t('Authenticate'));
const fingerprintPanel = h(
  'div',
  { class: 'method', 'data-method': 'fingerprint' },
  h('p', { class: 'hint fp-hint' }),
  ownFpLabel,
  ownFp,
  theirFpLabel,
  theirFp,
  h('div', { class: 'fp-verified' }, verifiedSelect, verifiedRest),
  h('div', { class: 'buttons' }, fingerprintButton),
);

const chooseBox = h('section', { class: 'choose', hidden: true }, radios, questionPanel, secretPanel, fingerprintPanel);

const startButton = h(
  'vscode-button',
  { appearance: 'secondary', class: 'start-private', on: { click: () => void run(() => ipc.request('startPrivate', {}), []) } },
  l10n.t('Start private conversation'),
);
const closeButton = h('vscode-button', { appearance: 'secondary', on: { click: () => void ipc.request('close', {}).catch(showError) } }, l10n.t('Close'));

app.append(
  h(
    'div',
    { class: 'page' },
    h('header', { class: 'head' }, icon('shield', undefined, 'head-icon'), h('div', { class: 'head-text' }, title, jidLine), verifiedBadge),
    intro,
    notPrivate,
    errorBar,
    resultBox,
    progressBox,
    answerBox,
    chooseBox,
    h('footer', { class: 'footer' }, closeButton),
  ),
);

function textField(id: string, label: string): Field {
  const f = h(
    'vscode-text-field',
    { id, autocomplete: 'off', spellcheck: 'false', on: { keydown: (e) => onFieldKey(e, id) } },
    label,
  ) as Field;
  return f;
}

// ---------------------------------------------------------------------------------------------
// Model

let state: VerifyState | undefined;
/** A request is in flight: buttons stay disabled so nothing is sent twice. */
let busy = false;
/** We answered their request; the answer panel stays closed until the host's next state. */
let answered = false;
/** We pressed Cancel (the protocol does not say who aborted). */
let weAborted = false;

function name(): string {
  return state?.name || state?.jid || l10n.t('your contact');
}
function isPrivate(): boolean {
  return state?.otr === 'private-unverified' || state?.otr === 'private-verified';
}

function showError(err: Error): void {
  replaceChildren(errorBar, icon('error'), h('span', null, err.message));
  errorBar.hidden = false;
}
function clearError(): void {
  errorBar.hidden = true;
}

function method(): Method {
  const v = radios.value;
  return v === 'secret' || v === 'fingerprint' ? v : 'question';
}

function chooseMethod(): void {
  saveState<ViewState>({ method: method() });
  clearError();
  render();
}

type Mode = 'answer' | 'progress' | 'choose';
function mode(s: VerifyState): Mode {
  if (s.incoming) return answered ? 'progress' : 'answer';
  if (s.result?.kind === 'inProgress') return 'progress';
  return 'choose';
}

function renderFingerprint(target: HTMLElement, fp: string | undefined, missing: string): void {
  const groups = fingerprintGroups(fp);
  if (!groups.length) {
    replaceChildren(target, h('span', { class: 'fp-missing' }, fp || missing));
    target.removeAttribute('aria-label');
    return;
  }
  replaceChildren(target, ...groups.map((g) => h('span', { class: 'fp-group' }, g)));
  // Read out group by group rather than as one 40-digit number.
  target.setAttribute('aria-label', formatFingerprint(fp).split(' ').join(', '));
}

let lastMode: Mode | undefined;

function render(): void {
  const s = state;
  if (!s) return;
  const n = name();
  document.title = dialogTitle(n);
  title.textContent = dialogTitle(n);
  jidLine.textContent = s.jid;
  replaceChildren(
    verifiedBadge,
    icon(s.verified ? 'verified-filled' : 'warning'),
    h('span', null, s.verified ? l10n.t('Verified') : l10n.t('Not verified')),
  );
  verifiedBadge.className = `state-badge ${s.verified ? 'is-verified' : 'is-unverified'}`;
  verifiedBadge.title = s.verified ? `${n}'s current fingerprint is verified` : `${n}'s current fingerprint has not been verified`;

  const priv = isPrivate();
  const m = mode(s);
  if (!priv && m !== 'progress') {
    replaceChildren(
      notPrivate,
      icon('unlock'),
      h(
        'span',
        null,
        s.otr === 'starting'
          ? l10n.t('Starting a private conversation with {0}… You can authenticate once it is up.', n)
          : l10n.t('Authentication runs inside a private conversation with {0}: start one first.', n),
      ),
      s.otr === 'starting' ? null : startButton,
    );
    notPrivate.hidden = false;
  } else {
    notPrivate.hidden = true;
  }

  // Result of the last run.
  const r = s.result;
  if (r && r.kind !== 'inProgress' && m === 'choose') {
    const view = resultView(r, n, weAborted)!;
    replaceChildren(resultBox, icon(view.icon, undefined, 'result-icon'), h('div', null, h('strong', null, view.head), h('p', null, view.text)));
    resultBox.className = `result result-${view.cls}`;
    resultBox.hidden = false;
  } else {
    resultBox.hidden = true;
  }

  // In progress.
  progressBox.hidden = m !== 'progress';
  progressText.textContent =
    r?.initiatedBy === 'them' ? l10n.t('Checking your answer with {0}…', n) : l10n.t('Waiting for {0} to answer… This can take a while: {0} has to type the answer.', n);
  setDisabled(cancelButton, busy);

  // Answer mode.
  answerBox.hidden = m !== 'answer';
  const q = s.incoming?.question;
  answerHeading.textContent = `${n} wants to authenticate you`;
  answerQuestion.textContent = q ? l10n.t('{0} asks: “{1}”', n, q) : l10n.t('Enter the secret you agreed on with {0}.', n);
  answerQuestion.classList.toggle('has-question', !!q);
  answerField.firstChild!.textContent = q ? l10n.t('Your answer') : l10n.t('Shared secret');
  setDisabled(answerField, !priv || busy);
  setDisabled(answerButton, !priv || busy);
  setDisabled(answerCancel, busy);

  // Choose a method.
  chooseBox.hidden = m !== 'choose';
  const meth = method();
  for (const panel of [questionPanel, secretPanel, fingerprintPanel]) panel.hidden = panel.dataset.method !== meth;
  questionPanel.querySelector('.question-hint')!.textContent = l10n.t('Ask a question whose answer only {0} and you know. {0} sees the question and types the answer.', n);
  secretPanel.querySelector('.secret-hint')!.textContent = l10n.t('Enter a secret you agreed on with {0} beforehand (in person, or on a call). {0} types it too.', n);
  fingerprintPanel.querySelector('.fp-hint')!.textContent =
    l10n.t("Read your fingerprints to each other over another channel, such as a call. If {0}'s own fingerprint matches the one shown here, tell Padlock so.", n);
  renderFingerprint(ownFp, s.ownFingerprint, l10n.t('No key for this account yet.'));
  ownFpLabel.textContent = ownFingerprintLabel(s.accountJid);
  theirFpLabel.textContent = theirFingerprintLabel(n);
  renderFingerprint(theirFp, s.theirFingerprint, l10n.t('Not known yet: start a private conversation with {0}.', n));
  verifiedRest.textContent = verifiedSentence(n);
  if (!verifiedSelect.matches(':focus-within')) verifiedSelect.value = s.verified ? 'yes' : 'no';
  for (const el of [questionField, questionAnswerField, questionButton, secretField, secretButton]) setDisabled(el, !priv || busy);
  setDisabled(verifiedSelect, !s.theirFingerprint || busy);
  setDisabled(fingerprintButton, !priv || !s.theirFingerprint || busy);

  if (m !== lastMode) {
    if (lastMode !== undefined || m === 'answer') {
      if (m === 'answer') {
        announce(answerQuestion.textContent);
        setTimeout(() => answerField.focus());
      } else if (m === 'choose' && resultBox.hidden === false) {
        announce(resultBox.textContent ?? '');
      } else if (m === 'progress') {
        announce(progressText.textContent);
      }
    }
    lastMode = m;
  }
}

function setDisabled(el: HTMLElement, disabled: boolean): void {
  if (disabled) el.setAttribute('disabled', '');
  else el.removeAttribute('disabled');
}

// ---------------------------------------------------------------------------------------------
// Actions

function onFieldKey(e: KeyboardEvent, id: string): void {
  if (e.key !== 'Enter' || e.isComposing) return;
  e.preventDefault();
  if (id === 'answer') void respond();
  else if (id === 'secret') void sharedSecret();
  else if (id === 'question') questionAnswerField.focus();
  else if (id === 'qa-answer') void askQuestion();
}

function invalid(field: Field, message: string): void {
  showError(new Error(message));
  field.focus();
}

async function run(fn: () => Promise<void>, clear: Field[]): Promise<void> {
  busy = true;
  clearError();
  render();
  try {
    await fn();
    for (const f of clear) f.value = '';
  } catch (err) {
    showError(err as Error);
  } finally {
    busy = false;
    render();
  }
}

async function askQuestion(): Promise<void> {
  if (busy || !isPrivate()) return;
  const question = questionField.value.trim();
  const answer = questionAnswerField.value;
  if (!question) return invalid(questionField, l10n.t('Write the question first.'));
  if (!answer.trim()) return invalid(questionAnswerField, l10n.t('Write the answer you expect.'));
  weAborted = false;
  await run(() => ipc.request('askQuestion', { question, answer }), [questionField, questionAnswerField]);
}

async function sharedSecret(): Promise<void> {
  if (busy || !isPrivate()) return;
  const secret = secretField.value;
  if (!secret.trim()) return invalid(secretField, l10n.t('Enter the secret you agreed on.'));
  weAborted = false;
  await run(() => ipc.request('sharedSecret', { secret }), [secretField]);
}

async function respond(): Promise<void> {
  if (busy || !isPrivate()) return;
  const answer = answerField.value;
  if (!answer.trim()) return invalid(answerField, state?.incoming?.question ? l10n.t('Write your answer first.') : l10n.t('Enter the secret first.'));
  weAborted = false;
  await run(async () => {
    await ipc.request('respond', { answer });
    answered = true;
  }, [answerField]);
}

async function abort(): Promise<void> {
  if (busy) return;
  await run(async () => {
    await ipc.request('abort', {});
    weAborted = true;
  }, [answerField]);
}

async function setVerified(): Promise<void> {
  if (busy || !state?.theirFingerprint) return;
  const verified = verifiedSelect.value === 'yes';
  await run(() => ipc.request('setVerified', { verified }), []);
  announce(verified ? `${name()}'s fingerprint is now verified.` : `${name()}'s fingerprint is marked as not verified.`);
}

// ---------------------------------------------------------------------------------------------
// Start

function apply(next: VerifyState): void {
  // A new request from them (or its end) resets our "answered" mark.
  if (!next.incoming || next.incoming.question !== state?.incoming?.question || next.result?.kind !== 'inProgress') answered = false;
  if (next.result?.kind === 'inProgress') weAborted = false;
  state = next;
  render();
}

ipc.onNotification('state', apply);

function start(): void {
  ipc.ready().then(
    (s) => {
      apply(s);
      document.body.classList.add('loaded');
      if (mode(s) === 'choose') (radios.querySelector('vscode-radio[checked], vscode-radio') as HTMLElement | null)?.focus();
    },
    (err: Error) => {
      replaceChildren(
        errorBar,
        icon('error'),
        h('span', null, l10n.t('Could not load: {0}', err.message)),
        h('vscode-button', { appearance: 'secondary', on: { click: () => (clearError(), start()) } }, l10n.t('Retry')),
      );
      errorBar.hidden = false;
    },
  );
}
start();
