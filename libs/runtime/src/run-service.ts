/** What a started service gives back: how to stop it cleanly. */
export type StopService = () => Promise<void>;

/**
 * The life of an app's process: start it, and on SIGINT or SIGTERM stop it once and exit. Later
 * signals (Ctrl-C reaches the whole process group, and supervisors relay it too) do not cut the
 * orderly stop short. A start that fails prints one line saying why and exits with 1.
 */
export function runService(name: string, start: () => Promise<StopService>): void {
  start().then(
    (stop) => {
      let stopping = false;
      const onSignal = () => {
        if (stopping) return;
        stopping = true;
        stop().then(
          () => process.exit(0),
          (error: unknown) => {
            console.error(`${name} did not stop cleanly: ${describe(error)}`);
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    },
    (error: unknown) => {
      console.error(`${name} failed to start: ${describe(error)}`);
      process.exit(1);
    },
  );
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));
