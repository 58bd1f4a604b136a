import { addTypist, removeTypist } from './typing';

describe('removeTypist', () => {
  it('given two typists, when one sent a message, then only the other is left', () => {
    const state = addTypist(addTypist({}, 'c1', 'bob', 10), 'c1', 'cy', 10);
    expect(removeTypist(state, 'c1', 'bob')).toEqual({ c1: { cy: 10 } });
  });

  it('given the last typist of a conversation, then the conversation leaves the state; someone not typing changes nothing', () => {
    const state = addTypist({}, 'c1', 'bob', 10);
    expect(removeTypist(state, 'c1', 'bob')).toEqual({});
    expect(removeTypist(state, 'c1', 'cy')).toBe(state);
  });
});
