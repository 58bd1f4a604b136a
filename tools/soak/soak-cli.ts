// `npm run soak -- --minutes N --rate R`: the fault soak (see README.md beside this file). Prints
// progress, then the table; exits non-zero on any broken invariant.
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import type { Log } from '../stack/stack-setup';
import { runSoak } from './soak-run';

export async function runSoakCli(argv: readonly string[], log: Log): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      minutes: { type: 'string', default: '5' },
      rate: { type: 'string', default: '1000' },
      users: { type: 'string', default: '200' },
      'kafka-port': { type: 'string', default: '29092' },
    },
  });
  const minutes = Number(values.minutes);
  const rate = Number(values.rate);
  const users = Number(values.users);
  if (!(minutes > 0) || !(rate > 0) || !(users >= 5)) {
    console.error('usage: npm run soak -- [--minutes 5] [--rate 1000] [--users 40] [--kafka-port 29092]');
    return 2;
  }
  const result = await runSoak({
    durationMs: minutes * 60_000,
    rate,
    users,
    kafkaPort: Number(values['kafka-port']),
    warmUpMs: Math.min(30_000, minutes * 6_000),
    schedule: 'spread',
    gapMs: 5_000,
    brokerDownMs: 10_000,
    repairDeadlineMs: 600_000,
    settleTimeoutMs: 180_000,
    log,
  });
  console.log(
    `\nFault soak: ${minutes} min at ${rate} sends/s target, ${users} users; ` +
      `machine: ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}\n`,
  );
  console.log(result.table);
  console.log(`\n${result.summary}`);
  if (result.violations.length === 0) {
    console.log('\nPASSED: nothing acknowledged was lost or duplicated, every device got every message.');
    return 0;
  }
  console.error(`\nFAILED:\n${result.violations.map((v) => `- ${v}`).join('\n')}`);
  return 1;
}
