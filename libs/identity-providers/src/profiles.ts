// Pure mappings from each provider's own answer to a ProviderProfile. Only what the provider says
// it verified counts as a verified email.
import type { ProviderProfile } from './sign-in-provider';

type Json = Readonly<Record<string, unknown>>;

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

/** A subject as text: providers give numbers (GitHub) or strings. */
const subjectOf = (value: unknown): string | undefined =>
  typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : text(value);

const hints = (...values: unknown[]): string[] =>
  values.map(text).filter((value): value is string => value !== undefined);

const withOptional = (profile: ProviderProfile, email?: string, displayName?: string): ProviderProfile => ({
  ...profile,
  ...(email ? { email: email.toLowerCase() } : {}),
  ...(displayName ? { displayName: displayName.slice(0, 64) } : {}),
});

/** OpenID Connect: the ID token's claims, completed by the userinfo answer (same `sub`). */
export function oidcProfile(provider: string, claims: Json, userInfo: Json = {}): ProviderProfile {
  const subject = subjectOf(claims.sub);
  if (!subject) throw new TypeError('the ID token has no subject');
  const merged = { ...userInfo, ...claims };
  const email = text(merged.email);
  const displayName = text(merged.name) ?? text(merged.nickname);
  return withOptional(
    {
      provider,
      subject,
      // Some providers send the string "true" (older Google tokens did).
      emailVerified:
        email !== undefined && (merged.email_verified === true || merged.email_verified === 'true'),
      usernameHints: hints(merged.preferred_username, merged.nickname, email, merged.name, merged.given_name),
    },
    email,
    displayName,
  );
}

/** GitHub: `GET /user` and `GET /user/emails` (the primary address, verified or not). */
export function githubProfile(provider: string, user: Json, emails: unknown): ProviderProfile {
  const subject = subjectOf(user.id);
  if (!subject) throw new TypeError('GitHub’s user has no id');
  const list = Array.isArray(emails) ? (emails as Json[]) : [];
  const primary = list.find((entry) => entry.primary === true && text(entry.email));
  const email = text(primary?.email) ?? text(user.email);
  const verified = primary !== undefined && primary.verified === true;
  return withOptional(
    { provider, subject, emailVerified: verified, usernameHints: hints(user.login, email, user.name) },
    email,
    text(user.name) ?? text(user.login),
  );
}

/**
 * Yandex ID: `GET https://login.yandex.ru/info?format=json`. Yandex does not say whether its
 * addresses are verified, so none counts as verified (Yandex accounts never merge by email).
 */
export function yandexProfile(provider: string, info: Json): ProviderProfile {
  const subject = subjectOf(info.id);
  if (!subject) throw new TypeError('Yandex’s user information has no id');
  const email = text(info.default_email);
  return withOptional(
    { provider, subject, emailVerified: false, usernameHints: hints(info.login, email, info.display_name) },
    email,
    text(info.real_name) ?? text(info.display_name) ?? text(info.login),
  );
}
