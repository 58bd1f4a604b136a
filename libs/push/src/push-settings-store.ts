import type { Pool } from 'pg';
import { DEFAULT_PUSH_SETTINGS, type PushSettings } from './push-requests';

/** Each user's notification settings (`push_settings`); a user without a row has the defaults. */
export class PushSettingsStore {
  constructor(private readonly pool: Pool) {}

  async get(userId: string): Promise<PushSettings> {
    return (await this.ofUsers([userId])).get(userId) ?? DEFAULT_PUSH_SETTINGS;
  }

  async set(userId: string, settings: PushSettings, now: Date = new Date()): Promise<PushSettings> {
    await this.pool.query(
      `INSERT INTO push_settings (user_id, previews, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (user_id) DO UPDATE SET previews = EXCLUDED.previews, updated_at = EXCLUDED.updated_at`,
      [userId, settings.previews, now],
    );
    return settings;
  }

  /** The settings of these users (defaults for those without a row). */
  async ofUsers(userIds: readonly string[]): Promise<Map<string, PushSettings>> {
    const settings = new Map(userIds.map((id) => [id, DEFAULT_PUSH_SETTINGS]));
    if (userIds.length === 0) return settings;
    const { rows } = await this.pool.query<{ user_id: string; previews: boolean }>(
      'SELECT user_id, previews FROM push_settings WHERE user_id = ANY($1::text[])',
      [userIds],
    );
    for (const row of rows) settings.set(row.user_id, { previews: row.previews });
    return settings;
  }
}
