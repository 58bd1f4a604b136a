import { classifyProcess } from './process-cpu';

describe('classifyProcess', () => {
  it.each([
    ['/usr/bin/node --enable-source-maps /repo/dist/apps/gateway/main.js', 'node', 'gateway'],
    ['/usr/bin/node --enable-source-maps /repo/dist/apps/delivery/main.js', 'node', 'delivery'],
    ['/usr/bin/node --import tsx /repo/apps/projector/src/main.ts', 'node', 'projector'],
    ['java -Xmx1g kafka.Kafka server.properties', 'java', 'kafka broker'],
    ['postgres: main: postgres parley', 'postgres', 'postgresql'],
    ['redis-server 127.0.0.1:6379', 'redis-server', 'redis'],
  ])('given the command line %s then it is the %s', (cmdline, comm, kind) => {
    expect(classifyProcess(cmdline, comm)).toBe(kind);
  });

  it('given a process of something else then it is none of the stack', () => {
    expect(classifyProcess('/usr/bin/node /repo/node_modules/.bin/jest', 'node')).toBeUndefined();
  });
});
