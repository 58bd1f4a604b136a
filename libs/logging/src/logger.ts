import pino from 'pino';

export type Logger = pino.Logger;
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/**
 * Structured JSON logs, one line per entry, with the service name on every line so that logs of
 * several processes can be merged and filtered (and correlated by `messageId` / `eventId` fields).
 */
export function createLogger(
  service: string,
  level: LogLevel = 'info',
  destination?: pino.DestinationStream,
): Logger {
  const options = { level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime };
  return destination ? pino(options, destination) : pino(options);
}
