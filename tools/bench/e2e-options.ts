// The options of `npm run bench:e2e` (see e2e-bench.ts): which scenarios, at which rates, how long.
import { parseArgs } from 'node:util';

export const SCENARIOS = ['open-loop', 'one-connection', 'offline', 'sessions'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface E2eOptions {
  readonly scenarios: readonly Scenario[];
  readonly rates: readonly number[];
  readonly pairs: readonly number[];
  readonly seconds: number;
  /** How long the open loop warms every process up before it measures anything. */
  readonly warmUpSeconds: number;
  readonly oneConnectionRate: number;
  readonly offlineMessages: number;
  readonly sessions: number;
}

/** The full run, and `--quick`: every scenario, briefly (about two minutes with the stack's start). */
const FULL = {
  rates: '50,200,1000,2000,5000',
  pairs: '50,1000',
  seconds: '10',
  // The broker's JIT (C2) compiles for minutes of traffic: a 6 s warm-up left it compiling through
  // the runs, about 2 ms of broker CPU per message at 50 msgs/s that a running broker never pays.
  warmUp: '60',
  offline: '10000',
  sessions: '10000',
};
const QUICK = {
  rates: '200,1000',
  pairs: '50,200',
  seconds: '2',
  warmUp: '6',
  offline: '1000',
  sessions: '1000',
};

const numbers = (list: string) =>
  list
    .split(',')
    .filter(Boolean)
    .map((item) => {
      const value = Number(item);
      if (!Number.isFinite(value) || value <= 0) throw new Error(`not a positive number: ${item}`);
      return value;
    });

export function e2eOptions(argv: readonly string[]): E2eOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      scenarios: { type: 'string', default: SCENARIOS.join(',') },
      rates: { type: 'string' },
      pairs: { type: 'string' },
      seconds: { type: 'string' },
      'warm-up': { type: 'string' },
      'one-connection-rate': { type: 'string', default: '2000' },
      offline: { type: 'string' },
      sessions: { type: 'string' },
    },
  });
  const preset = values.quick ? QUICK : FULL;
  const scenarios = values.scenarios.split(',').filter(Boolean);
  for (const scenario of scenarios)
    if (!(SCENARIOS as readonly string[]).includes(scenario))
      throw new Error(`unknown scenario ${scenario}: choose from ${SCENARIOS.join(', ')}`);
  return {
    scenarios: scenarios as Scenario[],
    rates: numbers(values.rates ?? preset.rates),
    pairs: numbers(values.pairs ?? preset.pairs).map(Math.round),
    seconds: numbers(values.seconds ?? preset.seconds)[0] ?? 10,
    warmUpSeconds: numbers(values['warm-up'] ?? preset.warmUp)[0] ?? 60,
    oneConnectionRate: numbers(values['one-connection-rate'])[0] ?? 2000,
    offlineMessages: Math.round(numbers(values.offline ?? preset.offline)[0] ?? 10_000),
    sessions: Math.round(numbers(values.sessions ?? preset.sessions)[0] ?? 10_000),
  };
}
