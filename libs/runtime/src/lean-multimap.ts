/**
 * Values by key, where most keys hold exactly one value: a gateway node has a listener per inbox
 * channel and a session per user, almost always one. A key with one value holds it directly; only a
 * second one makes a Set (an empty Set with its table is about 160 bytes, times every idle session).
 */
export class LeanMultimap<K, V> {
  private readonly entries = new Map<K, V | Set<V>>();

  /** Adds `value` under `key`; true when the key had no value before. */
  add(key: K, value: V): boolean {
    const held = this.entries.get(key);
    if (held === undefined) {
      this.entries.set(key, value);
      return true;
    }
    if (held instanceof Set) held.add(value);
    else if (held !== value) this.entries.set(key, new Set([held, value]));
    return false;
  }

  /** Removes `value` from `key`; true when that left the key without values. */
  delete(key: K, value: V): boolean {
    const held = this.entries.get(key);
    if (held === undefined) return false;
    if (held instanceof Set) {
      held.delete(value);
      if (held.size === 1) this.entries.set(key, held.values().next().value as V);
      return false;
    }
    if (held !== value) return false;
    this.entries.delete(key);
    return true;
  }

  /** The values under `key`, as a copy (callers may add and delete while they go through it). */
  get(key: K): V[] {
    const held = this.entries.get(key);
    if (held === undefined) return [];
    return held instanceof Set ? [...held] : [held];
  }

  /** Calls `visit` with each value under `key` (no copy: the common path of a message). */
  forEach(key: K, visit: (value: V) => void): void {
    const held = this.entries.get(key);
    if (held === undefined) return;
    if (held instanceof Set) for (const value of [...held]) visit(value);
    else visit(held);
  }

  /** Every key that holds a value, as a copy. */
  keys(): K[] {
    return [...this.entries.keys()];
  }

  /** Every value under every key, as a copy (callers may add and delete while they go through it). */
  all(): V[] {
    return [...this.entries.values()].flatMap((held) => (held instanceof Set ? [...held] : [held]));
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** How many values there are under every key together. */
  get size(): number {
    let total = 0;
    for (const held of this.entries.values()) total += held instanceof Set ? held.size : 1;
    return total;
  }
}
