import { LeanMultimap } from './lean-multimap';

describe('LeanMultimap', () => {
  it('given one value under a key, then it is found, counted, and deleting it empties the key', () => {
    const map = new LeanMultimap<string, string>();
    expect(map.add('k', 'a')).toBe(true);
    expect(map.get('k')).toEqual(['a']);
    expect(map.size).toBe(1);
    expect(map.delete('k', 'b')).toBe(false);
    expect(map.delete('k', 'a')).toBe(true);
    expect(map.has('k')).toBe(false);
    expect(map.get('k')).toEqual([]);
  });

  it('given several values under a key, then each is kept once and the key empties with the last', () => {
    const map = new LeanMultimap<string, number>();
    map.add('k', 1);
    expect(map.add('k', 2)).toBe(false);
    map.add('k', 2);
    map.add('k', 3);
    expect(map.get('k').sort()).toEqual([1, 2, 3]);
    expect(map.size).toBe(3);
    expect(map.delete('k', 2)).toBe(false);
    expect(map.delete('k', 1)).toBe(false);
    expect(map.get('k')).toEqual([3]);
    expect(map.delete('k', 3)).toBe(true);
    expect(map.has('k')).toBe(false);
  });

  it('given the same value added twice, then it is held once', () => {
    const map = new LeanMultimap<string, string>();
    map.add('k', 'a');
    map.add('k', 'a');
    expect(map.get('k')).toEqual(['a']);
    expect(map.delete('k', 'a')).toBe(true);
  });

  it('given a visitor that removes values as it goes, then every value present at the start is visited', () => {
    const map = new LeanMultimap<string, number>();
    [1, 2, 3].forEach((v) => map.add('k', v));
    const seen: number[] = [];
    map.forEach('k', (v) => {
      seen.push(v);
      map.delete('k', v);
    });
    expect(seen.sort()).toEqual([1, 2, 3]);
    expect(map.has('k')).toBe(false);
  });

  it('given keys with one value and with several, then keys() and all() list each key and value once, as copies', () => {
    const map = new LeanMultimap<string, number>();
    map.add('a', 1);
    map.add('b', 2);
    map.add('b', 3);
    const all = map.all();
    const keys = map.keys();
    map.delete('b', 2);
    map.delete('a', 1);
    expect(keys.sort()).toEqual(['a', 'b']);
    expect(map.keys()).toEqual(['b']);
    expect(all.sort()).toEqual([1, 2, 3]);
    expect(map.all()).toEqual([3]);
  });
});
