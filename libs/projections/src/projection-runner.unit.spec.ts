import { ProjectionRunner, type Projection } from '@parley/projections';

const projection: Projection = { name: 'p', topics: ['chat.users'], tables: [], apply: () => [] };
const clients = { kafka: {}, pool: {}, serde: {}, deadLetters: {}, topicPrefix: 'x.' } as never;

describe('ProjectionRunner options', () => {
  it('given a projection that does not read its returned rows, when onCommitted is asked for, then it refuses at once', () => {
    expect(
      () =>
        new ProjectionRunner({ ...(clients as object), projection, onCommitted: () => undefined } as never),
    ).toThrow('onCommitted needs projection p to read its returned rows');
  });
});
