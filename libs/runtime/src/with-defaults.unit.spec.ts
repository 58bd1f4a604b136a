import { withDefaults } from './with-defaults';

describe('withDefaults', () => {
  const complete = withDefaults({ a: 1, b: 2 });

  it('given nothing, then the defaults themselves', () => {
    expect(complete(undefined)).toEqual({ a: 1, b: 2 });
  });

  it('given some settings, then they win over the defaults, and the same object is completed once', () => {
    const given = { b: 5 };
    const first = complete(given);
    expect(first).toEqual({ a: 1, b: 5 });
    expect(complete(given)).toBe(first);
    expect(complete({ b: 5 })).not.toBe(first);
  });
});
