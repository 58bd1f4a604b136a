import { Router } from 'express';
import { asObject, parseClientId } from '@parley/domain';
import type { PushService } from '@parley/push';
import { userOf } from './messaging-routes';

/**
 * Web Push (issue 14, docs/protocol.md §2.10): the caller's own push subscriptions and notification
 * settings, and the VAPID public key the browser subscribes with. Every route is behind the
 * bearer-token check; a subscription of another user is answered 404, like one that does not exist.
 */
export function pushRoutes(push: PushService): Router {
  const router = Router();

  router.get('/push/vapid-public-key', (_req, res) => {
    res.json({ publicKey: push.vapidPublicKey });
  });

  router.post('/push/subscriptions', async (req, res) => {
    const { subscription, created } = await push.subscribe(userOf(res), asObject(req.body));
    res.status(created ? 201 : 200).json(subscription);
  });

  router.get('/push/subscriptions', async (_req, res) => {
    res.json({
      subscriptions: await push.list(userOf(res)),
      maxSubscriptions: push.maxSubscriptionsPerUser,
    });
  });

  router.delete('/push/subscriptions/:subscriptionId', async (req, res) => {
    await push.unsubscribe(userOf(res), parseClientId(req.params.subscriptionId, 'subscriptionId'));
    res.status(204).end();
  });

  router.get('/push/settings', async (_req, res) => {
    res.json(await push.settingsOf(userOf(res)));
  });

  router.put('/push/settings', async (req, res) => {
    res.json(await push.changeSettings(userOf(res), asObject(req.body)));
  });

  return router;
}
