/**
 * `given` completed with `defaults`, made once per `given` object and then shared: settings that
 * every session or feed of a node receives are completed once, not copied per connection (each
 * copy would be an object, and a hidden class, of its own).
 */
export function withDefaults<T extends object>(defaults: T): (given: Partial<T> | undefined) => T {
  const completed = new WeakMap<Partial<T>, T>();
  return (given) => {
    if (!given) return defaults;
    let complete = completed.get(given);
    if (!complete) completed.set(given, (complete = { ...defaults, ...given }));
    return complete;
  };
}
