import { classifyProcess, statTimes, voluntarySwitches } from './process-cpu';

describe('classifyProcess (which process of the stack a /proc entry is)', () => {
  const scope = { topicPrefix: 'bench-abc.', database: 'parley_bench_e2e' };
  const app = (name: string, prefix: string) => ({
    cmdline: `/usr/bin/node --import tsx /work/x/apps/${name}/src/main.ts`,
    comm: 'node',
    environ: ['PATH=/usr/bin', `TOPIC_PREFIX=${prefix}`],
  });

  it.each([
    ['/usr/bin/node --enable-source-maps /repo/dist/apps/gateway/main.js', 'node', 'gateway'],
    ['/usr/bin/node --enable-source-maps /repo/dist/apps/delivery/main.js', 'node', 'delivery'],
    ['/usr/bin/node --import tsx /repo/apps/projector/src/main.ts', 'node', 'projector'],
    ['java -Xmx1g kafka.Kafka server.properties', 'java', 'kafka broker'],
    ['postgres: main: postgres parley', 'postgres', 'postgresql'],
    ['redis-server 127.0.0.1:6379', 'redis-server', 'redis'],
  ])('given the command line %s then it is the %s (no scope)', (cmdline, comm, kind) => {
    expect(classifyProcess({ cmdline, comm })).toBe(kind);
  });

  it('given each app of the stack, built or from source, then it is named after its directory', () => {
    for (const name of ['gateway', 'projector', 'delivery', 'analytics', 'notifier', 'schema-registry'])
      expect(
        classifyProcess(
          {
            ...app(name, 'bench-abc.'),
            cmdline: `/usr/bin/node --enable-source-maps /x/dist/apps/${name}/main.js`,
          },
          scope,
        ),
      ).toBe(name);

    for (const name of ['gateway', 'projector', 'delivery', 'analytics', 'notifier', 'schema-registry'])
      expect(classifyProcess(app(name, 'bench-abc.'), scope)).toBe(name);
  });

  it('given an app of another stack (another topic prefix), then it is not ours', () => {
    expect(classifyProcess(app('gateway', 'other.'), scope)).toBeUndefined();
    expect(classifyProcess({ ...app('gateway', 'bench-abc.'), environ: [] }, scope)).toBeUndefined();
  });

  it('given no scope, then every app counts (as the send benchmark wants)', () => {
    expect(classifyProcess({ ...app('delivery', 'other.'), environ: undefined })).toBe('delivery');
  });

  it('given PostgreSQL, then the server, its workers and this database’s backends count, other backends not', () => {
    const pg = (cmdline: string) => classifyProcess({ cmdline, comm: 'postgres' }, scope);
    expect(pg('/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main')).toBe('postgresql');
    expect(pg('postgres: 15/main: checkpointer ')).toBe('postgresql');
    expect(pg('postgres: 15/main: logical replication launcher ')).toBe('postgresql');
    expect(pg('postgres: 15/main: postgres parley_bench_e2e 127.0.0.1(38996) idle')).toBe('postgresql');
    expect(pg('postgres: postgres parley_bench_e2e [local] SELECT')).toBe('postgresql');
    expect(pg('postgres: 15/main: postgres parley_test_kafka 127.0.0.1(38996) idle')).toBeUndefined();
  });

  it('given the Kafka broker and Redis, then they count whatever the scope (they are shared)', () => {
    expect(
      classifyProcess({ cmdline: 'java -Xmx1g kafka.Kafka server.properties', comm: 'java' }, scope),
    ).toBe('kafka broker');
    expect(classifyProcess({ cmdline: 'redis-server 127.0.0.1:6379', comm: 'redis-server' }, scope)).toBe(
      'redis',
    );
  });

  it('given anything else, then it is not part of the stack', () => {
    expect(
      classifyProcess({ cmdline: '/usr/bin/node tools/stack/cli.ts bench e2e', comm: 'node' }),
    ).toBeUndefined();
  });
});

describe('statTimes (/proc/<pid>/stat)', () => {
  it('given a server with reaped children, then its parent, its own CPU and its children’s are read after the name', () => {
    // state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
    const fields = [
      'S',
      '812',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
      '10',
      '11',
      '250',
      '150',
      '1200',
      '300',
      '20',
    ];
    expect(statTimes(`4242 (postgres: x (y)) ${fields.join(' ')}`)).toEqual({
      ppid: 812,
      cpuSeconds: 4,
      reapedSeconds: 15,
    });
  });
});

describe('voluntarySwitches (how often a thread blocked and was woken)', () => {
  it('given a task status, then it is the voluntary count, not the involuntary one', () => {
    const status =
      'Name:\tnode\nState:\tS (sleeping)\nnonvoluntary_ctxt_switches:\t99\nvoluntary_ctxt_switches:\t4711\n';
    expect(voluntarySwitches(status)).toBe(4711);
  });

  it('given a status without the field, then zero', () => {
    expect(voluntarySwitches('Name:\tx\n')).toBe(0);
  });
});
