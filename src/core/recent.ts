/**
 * A bounded memory of recent keys (and a value each), for ids seen on every message. It keeps
 * the newest `generation` to 2 x `generation` entries: when the current generation is full it
 * becomes the old one and the previous old one is dropped whole.
 *
 * Why not a Map that deletes its first key when full: V8's ordered hash tables leave deleted
 * entries in place until they are rebuilt, and `keys().next()` walks over all of them from the
 * start, so first-in-first-out eviction costs time proportional to what was evicted before
 * (~1 µs per message at 2,000 entries; docs/benchmarks.md).
 */
export class RecentMap<K, V> {
  private current = new Map<K, V>();
  private previous = new Map<K, V>();

  constructor(private readonly generation: number) {
    if (!(generation >= 1)) throw new RangeError('generation must be at least 1');
  }

  has(key: K): boolean {
    return this.current.has(key) || this.previous.has(key);
  }

  get(key: K): V | undefined {
    return this.current.has(key) ? this.current.get(key) : this.previous.get(key);
  }

  set(key: K, value: V): this {
    this.current.set(key, value);
    if (this.current.size >= this.generation) {
      this.previous = this.current;
      this.current = new Map();
    }
    return this;
  }

  delete(key: K): boolean {
    const a = this.current.delete(key);
    return this.previous.delete(key) || a;
  }

  clear(): void {
    this.current.clear();
    this.previous.clear();
  }

  /** Entries held (a key set again in both generations counts twice). */
  get size(): number {
    return this.current.size + this.previous.size;
  }
}
