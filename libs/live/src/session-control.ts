import type { Redis } from 'ioredis';
import type { Logger } from '@parley/logging';
import { channels } from './live-channels';

/** What SessionControl needs of a node's sessions (the STOMP session registry has it). */
export interface SessionKicker {
  /** Ends every session of the user with an ERROR naming `code`; answers how many ended. */
  kickUser(userId: string, code: string, message: string): number;
}

interface AccountStatusNotice {
  readonly kind: 'account-status';
  readonly userId: string;
  readonly status: string;
}

/**
 * Tells every gateway node, through a Redis channel, to end the sessions of an account that was
 * blocked or deleted. The node that took the admin call ends its own sessions first, so a Redis blip
 * only delays the other nodes' part; their sessions also fail their next token check.
 */
export class SessionControl {
  private readonly channel: string;

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    prefix: string,
    private readonly registry: SessionKicker,
    private readonly logger?: Logger,
  ) {
    this.channel = channels.gatewayControl(prefix);
  }

  async start(): Promise<void> {
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      try {
        const notice = JSON.parse(message) as AccountStatusNotice;
        if (notice.kind === 'account-status') this.endSessions(notice.userId, notice.status);
      } catch (error) {
        this.logger?.warn({ err: error, channel }, 'unreadable session-control notice');
      }
    });
    await this.subscriber.subscribe(this.channel);
  }

  async accountStatusChanged(userId: string, status: string): Promise<void> {
    this.endSessions(userId, status);
    const notice: AccountStatusNotice = { kind: 'account-status', userId, status };
    await this.publisher.publish(this.channel, JSON.stringify(notice)).catch((error: unknown) => {
      this.logger?.warn({ err: error, userId }, 'could not tell the other gateway nodes (Redis)');
    });
  }

  private endSessions(userId: string, status: string): void {
    if (status.toUpperCase() === 'ACTIVE') return;
    const ended = this.registry.kickUser(
      userId,
      'ACCOUNT_DISABLED',
      `this account is ${status.toLowerCase()}`,
    );
    if (ended > 0) this.logger?.info({ userId, ended }, 'ended the sessions of a disabled account');
  }
}
