/**
 * A cache that keeps its `max()` most recently used entries. A Map keeps
 * insertion order, so a hit moves its entry to the end and eviction takes
 * from the front; a run of hits on the same key (a loop re-running one
 * kernel) costs one comparison each.
 */
export class LruCache<K, V> {
  private readonly entries = new Map<K, V>();
  private lastKey: K | undefined;
  private hasLast = false;
  /** Entries evicted so far. */
  evicted = 0;
  constructor(private readonly max: () => number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    const v = this.entries.get(key);
    if (v !== undefined && !(this.hasLast && this.lastKey === key)) {
      this.entries.delete(key);
      this.entries.set(key, v);
      this.lastKey = key;
      this.hasLast = true;
    }
    return v;
  }

  /** Adds an entry, evicting the least recently used ones to stay within the bound (at least 1). */
  set(key: K, value: V): void {
    this.entries.delete(key);
    const max = Math.max(1, Math.floor(this.max()) || 1);
    while (this.entries.size >= max) {
      const oldest = this.entries.keys().next().value as K;
      this.entries.delete(oldest);
      this.evicted++;
    }
    this.entries.set(key, value);
    this.lastKey = key;
    this.hasLast = true;
  }

  clear(): void {
    this.entries.clear();
    this.hasLast = false;
    this.lastKey = undefined;
  }

  keys(): IterableIterator<K> {
    return this.entries.keys();
  }
}
