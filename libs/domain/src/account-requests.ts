import { invalid } from './domain-errors';
import { characterCount, requireStorable } from './input-rules';

export type AccountStatus = 'ACTIVE' | 'BLOCKED' | 'DELETED';

export interface AccountStatusRequest {
  readonly status: AccountStatus;
  readonly reason: string | null;
}

const REASON_MAX = 500;

/** The admin status call: `{status: "active" | "blocked" | "deleted", reason?}`. */
export function parseAccountStatusRequest(body: Readonly<Record<string, unknown>>): AccountStatusRequest {
  const status = typeof body.status === 'string' ? body.status.toUpperCase() : undefined;
  if (status !== 'ACTIVE' && status !== 'BLOCKED' && status !== 'DELETED')
    throw invalid('INVALID_STATUS', 'status must be "active", "blocked" or "deleted"');
  const { reason } = body;
  if (
    reason !== undefined &&
    reason !== null &&
    (typeof reason !== 'string' || characterCount(reason) > REASON_MAX)
  )
    throw invalid('INVALID_REASON', `reason must be a text of at most ${REASON_MAX} characters`);
  if (typeof reason === 'string') requireStorable(reason, 'reason');
  return { status, reason: typeof reason === 'string' && reason.trim() !== '' ? reason.trim() : null };
}
