// The one compile cache of the server: bounded by entries AND by bytes, because keys are client text (a
// query string, a path parameter, a control value) and an entry count alone lets 1,024 keys of 120 KB hold
// 120 MB. Oldest entries are evicted first (insertion order): no bookkeeping on a hit, which is the hot case.

/** Default most entries per cache. */
export const DefaultCacheEntries = 1024;
/** Default most bytes per cache (keys count their length; values what `cost` says). */
export const DefaultCacheBytes = 256 * 1024;
/** Fixed cost charged per entry on top of its key: the map slot and a small compiled value. */
export const EntryOverheadBytes = 64;

/** A string-keyed cache bounded by entry count and by total key (+ value) bytes. */
export class BoundedCache<V> {
  private readonly map = new Map<string, V>();
  private used = 0;

  /**
   * `cost(value)`: bytes a value holds beyond EntryOverheadBytes (default 0). A single entry costing more
   * than maxBytes is not kept at all.
   */
  constructor(
    private readonly maxEntries: number = DefaultCacheEntries,
    private readonly maxBytes: number = DefaultCacheBytes,
    private readonly cost: (value: V) => number = () => 0,
  ) {}

  /** The cached value, or undefined. */
  get(key: string): V | undefined {
    return this.map.get(key);
  }

  /** Whether key is cached (a cached value may itself be null). */
  has(key: string): boolean {
    return this.map.has(key);
  }

  /** Cache value under key, evicting the oldest entries until both bounds hold. */
  set(key: string, value: V): void {
    const bytes = this.bytesOf(key, value);
    if (bytes > this.maxBytes || this.maxEntries < 1) return;
    const old = this.map.get(key);
    if (old !== undefined || this.map.has(key)) {
      this.used -= this.bytesOf(key, old as V);
      this.map.delete(key);
    }
    while (this.map.size >= this.maxEntries || this.used + bytes > this.maxBytes) this.evictOldest();
    this.map.set(key, value);
    this.used += bytes;
  }

  /** Forget everything. */
  clear(): void {
    this.map.clear();
    this.used = 0;
  }

  /** Entries held. */
  get size(): number {
    return this.map.size;
  }

  /** Bytes charged for what is held. */
  get bytes(): number {
    return this.used;
  }

  private bytesOf(key: string, value: V): number {
    return key.length + EntryOverheadBytes + this.cost(value);
  }

  private evictOldest(): void {
    const first = this.map.entries().next();
    if (first.done === true) return;
    const [key, value] = first.value;
    this.map.delete(key);
    this.used -= this.bytesOf(key, value);
  }
}
