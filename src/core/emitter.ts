/**
 * A small typed event emitter. Core code stays free of Node's EventEmitter typing gaps and of
 * `vscode.EventEmitter`, so it runs the same in unit tests and in the extension host.
 */
export type Listener<T> = (value: T) => void;

export interface Disposable {
  dispose(): void;
}

export class Emitter<Events extends { [K in keyof Events]: unknown }> {
  private listeners = new Map<keyof Events, Set<Listener<never>>>();

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): Disposable {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    return { dispose: () => set!.delete(listener as Listener<never>) };
  }

  once<K extends keyof Events>(event: K, listener: Listener<Events[K]>): Disposable {
    const d = this.on(event, (v) => {
      d.dispose();
      listener(v);
    });
    return d;
  }

  /** Waits for the next event that satisfies `pred`; rejects after `timeoutMs`. */
  waitFor<K extends keyof Events>(event: K, pred: (v: Events[K]) => boolean = () => true, timeoutMs = 10_000): Promise<Events[K]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        d.dispose();
        reject(new Error(`timed out waiting for ${String(event)}`));
      }, timeoutMs);
      const d = this.on(event, (v) => {
        if (!pred(v)) return;
        clearTimeout(timer);
        d.dispose();
        resolve(v);
      });
    });
  }

  protected emit<K extends keyof Events>(event: K, value: Events[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const l of [...set]) {
      try {
        (l as Listener<Events[K]>)(value);
      } catch (err) {
        // A listener's bug must not break the connection that emitted the event.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  removeAllListeners(): void {
    this.listeners.clear();
  }
}
