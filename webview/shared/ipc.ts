/**
 * Webview side of the host <-> webview protocol (src/shared/protocol.ts).
 *
 * `IpcClient` knows nothing about the browser: it takes a `post` function and a message source,
 * so unit tests drive it with fakes and the webviews wire it to `acquireVsCodeApi()` and the
 * window's `message` event (`createWebviewIpc`).
 */
import { REQUEST_TIMEOUT_MS } from '../../src/shared/protocol';
import { l10n } from './l10n';

/**
 * The shape of a `*Requests` interface of the protocol. (protocol.ts's `RequestsShape` has an
 * index signature, which TypeScript interfaces do not satisfy; a mapped type does.)
 */
export type RequestMap<R> = { [M in keyof R]: { params: unknown; result: unknown } } & {
  ready: { params: Record<string, never>; result: unknown };
};

/** What `acquireVsCodeApi()` returns inside a VS Code webview. */
export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState<T>(state: T): T;
}

declare function acquireVsCodeApi(): VsCodeApi;

let api: VsCodeApi | undefined;
/** VS Code throws if `acquireVsCodeApi` is called twice, so the handle is kept here. */
export function vscodeApi(): VsCodeApi {
  api ??= acquireVsCodeApi();
  return api;
}

/** Where incoming messages come from: returns an unsubscribe function. */
export type MessageSource = (listener: (data: unknown) => void) => () => void;

export interface IpcOptions {
  post: (message: unknown) => void;
  source: MessageSource;
  timeoutMs?: number;
  /** Where protocol problems are reported; console by default. */
  log?: (message: string, detail?: unknown) => void;
}

interface Pending {
  method: string;
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Error of a request the host answered with `ok: false`, or that timed out. */
export class RequestError extends Error {
  constructor(
    readonly method: string,
    message: string,
    readonly timedOut = false,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

export class IpcClient<R extends RequestMap<R>, N> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<string, Set<(data: unknown) => void>>();
  private readonly unsubscribe: () => void;
  private readonly post: (message: unknown) => void;
  private readonly timeoutMs: number;
  private readonly log: (message: string, detail?: unknown) => void;

  constructor(opts: IpcOptions) {
    this.post = opts.post;
    this.timeoutMs = opts.timeoutMs ?? REQUEST_TIMEOUT_MS;
    this.log = opts.log ?? ((m, d) => console.warn(`[padlock ipc] ${m}`, d ?? ''));
    this.unsubscribe = opts.source((data) => this.receive(data));
  }

  /** Sends a request; settles with its result, or rejects on `ok: false` / timeout. */
  request<M extends keyof R & string>(method: M, params: R[M]['params']): Promise<R[M]['result']> {
    const id = this.nextId++;
    return new Promise<R[M]['result']>((resolve, reject) => {
      // A lost reply (host reloaded, handler threw before answering) must never hang the UI.
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError(method, l10n.t('The request "{0}" timed out after {1} ms.', method, this.timeoutMs), true));
      }, this.timeoutMs);
      this.pending.set(id, { method, resolve: resolve as (r: unknown) => void, reject, timer });
      try {
        this.post({ kind: 'request', id, method, params });
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new RequestError(method, l10n.t('Could not send "{0}": {1}', method, String(err))));
      }
    });
  }

  /** The ready handshake: the host answers with the initial state and only then starts notifying. */
  ready(): Promise<R['ready']['result']> {
    return this.request('ready' as keyof R & string, {} as R[keyof R & string]['params']);
  }

  onNotification<K extends keyof N & string>(type: K, handler: (data: N[K]) => void): () => void {
    let set = this.handlers.get(type);
    if (!set) this.handlers.set(type, (set = new Set()));
    const h = handler as (data: unknown) => void;
    set.add(h);
    return () => set.delete(h);
  }

  /** Stops listening and rejects whatever is still pending. */
  dispose(): void {
    this.unsubscribe();
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new RequestError(p.method, l10n.t('The view was closed.')));
      this.pending.delete(id);
    }
    this.handlers.clear();
  }

  /** Every incoming message is untrusted-shaped: anything unexpected is logged and dropped. */
  private receive(data: unknown): void {
    if (typeof data !== 'object' || data === null) return this.log('ignored a non-object message', data);
    const msg = data as Record<string, unknown>;
    if (msg.kind === 'response') {
      const id = msg.id;
      const p = typeof id === 'number' ? this.pending.get(id) : undefined;
      if (!p) return this.log('ignored a response to no pending request', id);
      this.pending.delete(id as number);
      clearTimeout(p.timer);
      if (msg.ok === true) p.resolve(msg.result);
      else if (msg.ok === false) p.reject(new RequestError(p.method, typeof msg.error === 'string' ? msg.error : l10n.t('Unknown error')));
      else p.reject(new RequestError(p.method, l10n.t('Malformed response')));
      return;
    }
    if (msg.kind === 'notification') {
      if (typeof msg.type !== 'string') return this.log('ignored a notification without a type', data);
      const set = this.handlers.get(msg.type);
      if (!set || set.size === 0) return this.log(`ignored notification "${msg.type}" (no handler)`);
      for (const handler of [...set]) {
        // One failing handler must not stop the others, nor the message loop.
        try {
          handler(msg.data);
        } catch (err) {
          this.log(`handler for "${msg.type}" threw`, err);
        }
      }
      return;
    }
    this.log('ignored a message of unknown kind', msg.kind);
  }
}

/** The real wiring inside a webview. */
export function createWebviewIpc<R extends RequestMap<R>, N>(): IpcClient<R, N> {
  const vscode = vscodeApi();
  return new IpcClient<R, N>({
    post: (m) => vscode.postMessage(m),
    source: (listener) => {
      const onMessage = (e: MessageEvent) => listener(e.data);
      window.addEventListener('message', onMessage);
      return () => window.removeEventListener('message', onMessage);
    },
  });
}

/**
 * UI state kept by VS Code while the view is hidden or reloaded (`getState`/`setState`).
 * Callers decide what goes in; by policy only view state (scroll position, collapsed groups,
 * a draft of a plain chat), never received message text. Merges shallowly.
 */
export function loadState<T extends object>(defaults: T): T {
  try {
    const s = vscodeApi().getState();
    return typeof s === 'object' && s !== null ? { ...defaults, ...(s as Partial<T>) } : defaults;
  } catch {
    return defaults;
  }
}

export function saveState<T extends object>(patch: Partial<T>): void {
  const vscode = vscodeApi();
  const current = vscode.getState();
  vscode.setState({ ...(typeof current === 'object' && current !== null ? current : {}), ...patch });
}
