// For the integration specs: runs the CLI in-process against a test world.
import { Writable } from 'node:stream';
import type { TestWorld } from '@parley/testing';
import { runCli } from '../src/cli';

/** Runs one command line in-process; stdout lines and stderr text come back. */
export async function parley(world: TestWorld, ...argv: string[]) {
  const out: string[] = [];
  let err = '';
  const stderr = new Writable({
    write(chunk: Buffer, _encoding, done) {
      err += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  const code = await runCli(argv, {
    out: (line) => out.push(line),
    err: stderr,
    env: {
      KAFKA_BROKERS: world.env.kafkaBrokers.join(','),
      SCHEMA_REGISTRY_URL: world.env.schemaRegistryUrl,
      DATABASE_URL: world.databaseUrl,
      REDIS_URL: world.env.redisUrl,
      TOPIC_PREFIX: world.prefix,
    },
  });
  return { code, out, err };
}
