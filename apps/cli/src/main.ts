// `npm run parley -- <command>`: the operator CLI on this environment's configuration (the same
// environment variables as the services: KAFKA_BROKERS, SCHEMA_REGISTRY_URL, TOPIC_PREFIX, ...).
import { runCli } from './cli';

const interrupted = new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: process.stderr,
  interrupted,
}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`parley: ${String(error)}\n`);
    process.exit(1);
  },
);
