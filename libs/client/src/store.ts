/** Called when a store's snapshot changed. */
export type Listener = () => void;

/**
 * One piece of observable state: `getSnapshot` returns an immutable value that changes identity only
 * when the state changed, and `subscribe` is told after each change. This is the shape React's
 * `useSyncExternalStore(store.subscribe, store.getSnapshot)` binds to; no framework is needed.
 */
export interface ReadableStore<T> {
  getSnapshot(): T;
  /** Returns the function that ends the subscription. */
  subscribe(listener: Listener): () => void;
}

/** A store the SDK writes to. Listeners that throw do not stop the others. */
export class WritableStore<T> implements ReadableStore<T> {
  private readonly listeners = new Set<Listener>();

  constructor(private value: T) {}

  readonly getSnapshot = (): T => this.value;

  readonly subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  set(next: T): void {
    if (Object.is(next, this.value)) return;
    this.value = next;
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch {
        // One faulty listener must not keep the state from the others.
      }
    }
  }

  update(change: (current: T) => T): void {
    this.set(change(this.value));
  }
}
