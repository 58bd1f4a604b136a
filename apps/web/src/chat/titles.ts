import type { ConversationSummary } from '@parley/client';
import { nameOf, type Directory } from './directory';

/** The other member of a direct conversation (undefined for a group, or before it is known). */
export function peerOf(summary: Pick<ConversationSummary, 'kind' | 'memberIds'>, selfId: string) {
  return summary.kind === 'direct' ? summary.memberIds.find((id) => id !== selfId) : undefined;
}

/** A group's title, or the name of the other member of a direct conversation. */
export function titleOf(
  summary: Pick<ConversationSummary, 'kind' | 'memberIds' | 'title'>,
  selfId: string,
  directory: Directory,
): string {
  if (summary.kind === 'group') return summary.title ?? 'Group';
  const peer = peerOf(summary, selfId);
  return peer ? nameOf(directory, peer) : 'Direct chat';
}
