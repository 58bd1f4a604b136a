/** Events carry epoch milliseconds; this SQL expression turns parameter $n into a timestamptz. */
export const ts = (n: number): string => `to_timestamp($${n}::double precision / 1000)`;
