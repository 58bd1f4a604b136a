import { newClusterId } from './kafka-cluster';

describe('newClusterId', () => {
  it('given 2,000 new ids, then each is 22 URL-safe characters and none starts with "-" (the storage tool would read it as an option)', () => {
    // One id in 64 would start with '-' if nothing prevented it: 2,000 without one is no accident.
    const ids = Array.from({ length: 2_000 }, () => newClusterId());
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });
});
