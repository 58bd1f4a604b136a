// The push calls of the HTTP API (docs/protocol.md §2.10) for the signed-in user: the VAPID key to
// subscribe with, the browser's subscription, and the notification settings.
import { ApiError, errorFromBody } from '../api';

export interface PushSettings {
  readonly previews: boolean;
}

export interface SavedSubscription {
  readonly subscriptionId: string;
  readonly endpoint: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const unexpected = () =>
  new ApiError(0, 'UNEXPECTED_ANSWER', 'the server gave an answer this app does not understand');

export function pushApi(token: string) {
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw new ApiError(0, 'NETWORK', 'cannot reach Parley; check your connection and try again');
    }
    const answer: unknown =
      response.status === 204 ? undefined : await response.json().catch(() => undefined);
    if (!response.ok) throw errorFromBody(response.status, answer);
    return answer;
  };

  const saved = (answer: unknown): SavedSubscription => {
    if (isRecord(answer) && typeof answer.subscriptionId === 'string' && typeof answer.endpoint === 'string')
      return { subscriptionId: answer.subscriptionId, endpoint: answer.endpoint };
    throw unexpected();
  };

  const settings = (answer: unknown): PushSettings => {
    if (isRecord(answer) && typeof answer.previews === 'boolean') return { previews: answer.previews };
    throw unexpected();
  };

  return {
    vapidPublicKey: async (): Promise<string> => {
      const answer = await call('GET', '/v1/push/vapid-public-key');
      if (isRecord(answer) && typeof answer.publicKey === 'string') return answer.publicKey;
      throw unexpected();
    },
    register: async (subscription: PushSubscriptionJSON) =>
      saved(await call('POST', '/v1/push/subscriptions', subscription)),
    list: async (): Promise<SavedSubscription[]> => {
      const answer = await call('GET', '/v1/push/subscriptions');
      if (!isRecord(answer) || !Array.isArray(answer.subscriptions)) throw unexpected();
      return answer.subscriptions.map(saved);
    },
    remove: async (subscriptionId: string) => {
      await call('DELETE', `/v1/push/subscriptions/${encodeURIComponent(subscriptionId)}`);
    },
    settings: async () => settings(await call('GET', '/v1/push/settings')),
    changeSettings: async (next: PushSettings) => settings(await call('PUT', '/v1/push/settings', next)),
  };
}

export type PushApi = ReturnType<typeof pushApi>;
