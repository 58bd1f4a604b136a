/** SQL fragments shared by the one-event and the chunk rules, so both measure alike. */

/** The minute a timestamptz expression falls in. */
export const minuteOf = (expression: string): string => `date_trunc('minute', ${expression})`;

/** Milliseconds from one timestamptz expression to another. */
export const msBetween = (later: string, earlier: string): string =>
  `extract(epoch FROM ${later} - ${earlier}) * 1000`;

/** Epoch milliseconds (a float8 expression) as a timestamptz. */
export const fromEpochMs = (expression: string): string => `to_timestamp(${expression} / 1000)`;
