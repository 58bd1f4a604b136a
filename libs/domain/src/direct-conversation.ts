import { v5 as uuidv5 } from 'uuid';
import { invalid } from './domain-errors';

/** Fixed namespace for direct-conversation ids; changing it would orphan every direct conversation. */
const DIRECT_NAMESPACE = '7d0b5c2e-4f6a-5c1d-9e8b-2a3f4c5d6e7f';

/**
 * The id of the direct conversation between two users: the same for both sides, whoever writes
 * first (PROTOCOL §2). A name-based UUID (v5) of the two ids in sorted order.
 */
export function directConversationId(userA: string, userB: string): string {
  if (userA === userB) throw invalid('INVALID_RECIPIENT', 'a direct conversation needs two different users');
  const [first, second] = [userA, userB].sort();
  return uuidv5(`direct:${first}:${second}`, DIRECT_NAMESPACE);
}
