/**
 * Host side of the webview protocol (src/shared/protocol.ts): validates every incoming
 * message, dispatches requests to typed handlers and answers each with a response carrying
 * its id (an error response when the handler throws), and holds notifications back until the
 * webview has made its `ready` request (a webview's script may start after the host's first
 * post; vscode-pull-request-github documents the same race).
 */
import type * as vscode from 'vscode';
import {
  type NotificationEnvelope,
  type RequestsShape,
  type ResponseEnvelope,
  type Validator,
  validateRequest,
} from '../shared/protocol';

/** A webview that never becomes ready must not grow the host's memory without bound. */
const MAX_PENDING = 2000;

export type Handlers<R extends RequestsShape> = {
  [M in keyof R]: (params: R[M]['params']) => Promise<R[M]['result']> | R[M]['result'];
};

export class WebviewRpc<R extends RequestsShape, N> implements vscode.Disposable {
  private ready = false;
  private pending: NotificationEnvelope<N>[] = [];
  private readonly sub: vscode.Disposable;

  constructor(
    private readonly webview: vscode.Webview,
    private readonly validators: { [M in keyof R]: Validator },
    private readonly handlers: Handlers<R>,
    private readonly log: (msg: string) => void,
    /** Notification types that carry a whole state: only the newest is kept before ready. */
    private readonly coalesce: ReadonlySet<string> = new Set(),
  ) {
    this.sub = webview.onDidReceiveMessage((raw: unknown) => void this.onMessage(raw));
  }

  /** Sends a notification now, or once the webview is ready. */
  notify<K extends keyof N & string>(type: K, data: N[K]): void {
    const env = { kind: 'notification', type, data } as NotificationEnvelope<N>;
    if (!this.ready) {
      // Held until the ready response has gone out, then sent in order after it. A state
      // notification only matters in its newest form; an incremental one (a new message)
      // must arrive even when the ready state already had it, which receivers handle by id.
      if (this.coalesce.has(type)) this.pending = this.pending.filter((p) => p.type !== type);
      this.pending.push(env);
      if (this.pending.length > MAX_PENDING) this.pending.splice(0, this.pending.length - MAX_PENDING);
      return;
    }
    void this.webview.postMessage(env);
  }

  /** The webview was reloaded (e.g. hidden and shown again without retainContextWhenHidden). */
  reset(): void {
    this.ready = false;
    this.pending = [];
  }

  dispose(): void {
    this.sub.dispose();
  }

  private async onMessage(raw: unknown): Promise<void> {
    const v = validateRequest<R>(raw, this.validators);
    if (!v.ok) {
      this.log(`webview sent an invalid message: ${v.error}`);
      if (v.id !== undefined) this.reply({ kind: 'response', id: v.id, ok: false, error: `Invalid request: ${v.error}` });
      return;
    }
    const { id, method, params } = v.request as { id: number; method: keyof R & string; params: unknown };
    try {
      const result = await (this.handlers[method] as (p: unknown) => unknown)(params);
      this.reply({ kind: 'response', id, ok: true, result: result ?? null });
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      this.reply({ kind: 'response', id, ok: false, error: msg });
    }
    if (method === 'ready') {
      this.ready = true;
      const queued = this.pending;
      this.pending = [];
      for (const env of queued) void this.webview.postMessage(env);
    }
  }

  private reply(r: ResponseEnvelope): void {
    void this.webview.postMessage(r);
  }
}
