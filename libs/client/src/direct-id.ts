import { v5 as uuidv5 } from 'uuid';

/** The namespace of direct-conversation ids (PROTOCOL Conventions). */
const DIRECT_NAMESPACE = '7d0b5c2e-4f6a-5c1d-9e8b-2a3f4c5d6e7f';

/**
 * The id of the direct conversation of two users: the UUID v5 of `direct:<first>:<second>`, the ids
 * in JavaScript's `sort()` order. Both sides compute the same id, before the first message exists.
 */
export function directConversationId(a: string, b: string): string {
  const [first, second] = [a, b].sort();
  return uuidv5(`direct:${first}:${second}`, DIRECT_NAMESPACE);
}
