export { presenceKeys, type PresenceKeys } from './presence-keys';
export { PresenceTracker, type PresenceOptions } from './presence-tracker';
export { PresenceSessions } from './presence-sessions';
export { startPresenceSweep, type PresenceSweepOptions } from './presence-sweep';
export { readPresence, type PresenceView } from './presence-view';
export { presenceProjection } from './presence-projection';
