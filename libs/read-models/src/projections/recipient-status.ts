/** A recipient's status only moves forward: pending (1) < failed (2) < delivered (3) < read (4). */
export const STATUS_RANK = { pending: 1, failed: 2, delivered: 3, read: 4 } as const;
export type RecipientStatus = keyof typeof STATUS_RANK;
