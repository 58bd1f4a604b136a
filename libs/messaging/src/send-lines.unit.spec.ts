import { SendLines } from './send-lines';

const flush = () => new Promise((resolve) => setImmediate(resolve));

/** Resolves to the order in which the turns' `ready` promises fired. */
function watch(turns: { ready: Promise<void> }[], names: string[]): string[] {
  const fired: string[] = [];
  turns.forEach((turn, i) => void turn.ready.then(() => fired.push(names[i] as string)));
  return fired;
}

describe('SendLines', () => {
  describe('given three sends joining one line', () => {
    it('when the first is done then only the second may go', async () => {
      const lines = new SendLines();
      const turns = [lines.join('s1/c1'), lines.join('s1/c1'), lines.join('s1/c1')];
      const fired = watch(turns, ['a', 'b', 'c']);
      await flush();
      expect(fired).toEqual(['a']);

      turns[0]?.done();
      await flush();
      expect(fired).toEqual(['a', 'b']);
    });

    it('when the last is done before the second then the third still waits for the second', async () => {
      const lines = new SendLines();
      const turns = [lines.join('s1/c1'), lines.join('s1/c1'), lines.join('s1/c1')];
      const fired = watch(turns, ['a', 'b', 'c']);
      turns[2]?.done();
      turns[0]?.done();
      await flush();
      expect(fired).toEqual(['a', 'b']);

      turns[1]?.done();
      await flush();
      expect(fired).toEqual(['a', 'b', 'c']);
    });
  });

  describe('given sends on two lines', () => {
    it('when the first line is held then the second line is not', async () => {
      const lines = new SendLines();
      const held = lines.join('s1/c1');
      const other = lines.join('s1/c2');
      const fired = watch([held, other], ['c1', 'c2']);
      await flush();
      expect(fired).toEqual(['c1', 'c2']);
      held.done();
      other.done();
    });
  });

  describe('given every turn of a line done', () => {
    it('when the promises settle then the line is forgotten', async () => {
      const lines = new SendLines();
      const turns = [lines.join('s1/c1'), lines.join('s1/c1')];
      expect(lines.open).toBe(1);
      turns[1]?.done();
      turns[0]?.done();
      turns[0]?.done(); // twice: harmless
      await flush();
      await flush();
      expect(lines.open).toBe(0);
    });
  });
});
