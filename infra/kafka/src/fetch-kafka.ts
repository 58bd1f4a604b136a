import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { KAFKA_HOME, KAFKA_LIBS, KAFKA_VERSION, POM_FILE } from './kafka-layout';

const MARKER = '.complete';

export function kafkaIsFetched(): boolean {
  return existsSync(`${KAFKA_LIBS}/${MARKER}`);
}

/**
 * Copies Apache Kafka's broker jars (and a log4j2 binding) from Maven Central into .parley/ once.
 * Maven's download lines are shown as they come, so a first run on a slow link visibly progresses.
 */
export async function fetchKafka(log: (line: string) => void = console.log): Promise<void> {
  if (kafkaIsFetched()) return;
  const staging = `${KAFKA_LIBS}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(KAFKA_HOME, { recursive: true });
  log(`Fetching Apache Kafka ${KAFKA_VERSION} from Maven Central (once; about 45 MB)...`);
  let downloads = 0;
  const output: string[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const mvn = spawn(
      'mvn',
      ['-B', '-f', POM_FILE, 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    mvn.on('error', (error) =>
      reject(new Error(`cannot run Maven (${error.message}): install it (apt-get install maven) and retry`)),
    );
    const onLine = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        output.push(line);
        if (/^\[INFO\] Downloaded from/.test(line)) {
          downloads++;
          const artifact = line.split('/').pop()?.split(' ')[0] ?? '';
          log(`  [${downloads}] downloaded ${artifact}`);
        }
      }
    };
    mvn.stdout.on('data', onLine);
    mvn.stderr.on('data', onLine);
    mvn.on('close', (c) => resolve(c ?? 1));
  });
  if (code !== 0) {
    throw new Error(
      `Maven could not fetch Kafka (exit ${code}). Last lines:\n${output.slice(-15).join('\n')}\n` +
        'Check that Maven Central is reachable (mvn -v; ~/.m2/settings.xml), then run the command again.',
    );
  }
  const jars = readdirSync(staging).filter((f) => f.endsWith('.jar'));
  if (!jars.some((j) => j.startsWith(`kafka_2.13-${KAFKA_VERSION}`))) {
    throw new Error(`Maven finished but kafka_2.13-${KAFKA_VERSION}.jar is missing from ${staging}`);
  }
  writeFileSync(`${staging}/${MARKER}`, `${jars.length} jars\n`);
  rmSync(KAFKA_LIBS, { recursive: true, force: true });
  renameSync(staging, KAFKA_LIBS);
  log(`Kafka ${KAFKA_VERSION}: ${jars.length} jars ready (${downloads} downloaded, the rest from ~/.m2).`);
}
