// Preloaded into the benchmark's services (`node --expose-gc --require tools/bench/gc-probe.js`,
// through PARLEY_NODE_FLAGS): on SIGUSR2 the process collects its garbage and writes its memory
// usage to $TMPDIR/parley-bench-memory-<pid>.json, so a benchmark can read a service's heap after a full GC.
// Plain JavaScript: preloaded by node itself, before the service's own code.
'use strict';
const { writeFileSync, renameSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const file = join(tmpdir(), `parley-bench-memory-${process.pid}.json`);

process.on('SIGUSR2', () => {
  if (typeof global.gc === 'function') {
    // Twice: the first collection may leave what finalizers freed for the next one.
    global.gc();
    global.gc();
  }
  const usage = { ...process.memoryUsage(), collected: typeof global.gc === 'function', at: Date.now() };
  // For finding what a session holds: a heap snapshot per probe, to compare by constructor.
  if (process.env.PARLEY_BENCH_HEAP_SNAPSHOTS)
    require('node:v8').writeHeapSnapshot(
      join(process.env.PARLEY_BENCH_HEAP_SNAPSHOTS, `${process.pid}-${Date.now()}.heapsnapshot`),
    );
  writeFileSync(`${file}.tmp`, JSON.stringify(usage));
  renameSync(`${file}.tmp`, file);
});
