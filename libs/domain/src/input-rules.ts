import { invalid } from './domain-errors';

/** PROTOCOL §1: 3 to 32 of a-z 0-9 _ . - */
export const USERNAME_PATTERN = /^[a-z0-9_.-]{3,32}$/;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;
export const DISPLAY_NAME_MAX = 64;
export const TEXT_MAX = 4_000;
/** Client-chosen ids (messageId, device-id): printable, URL-safe, bounded. UUIDs fit. */
const CLIENT_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Characters as people count them: code points, so an emoji counts once. */
export const characterCount = (text: string): number => [...text].length;

/**
 * Why a text cannot be stored and given back exactly, when it cannot: PostgreSQL's text and jsonb
 * hold no U+0000, and a lone surrogate is no Unicode character (UTF-8, which Kafka and PostgreSQL
 * carry, has no encoding for it). Everything else (other control characters included) is kept.
 */
export function unstorableCharacter(value: string): string | undefined {
  if (value.includes('\u0000')) return 'U+0000 (NUL)';
  const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.exec(value);
  if (lone) return `an unpaired surrogate (U+${lone[0].charCodeAt(0).toString(16).toUpperCase()})`;
  return undefined;
}

/** Refuses a text Parley could not store exactly (400 INVALID_CHARACTER), rather than lose it later. */
export function requireStorable(value: string, field: string): string {
  const why = unstorableCharacter(value);
  if (why) throw invalid('INVALID_CHARACTER', `${field} contains ${why}, which cannot be stored`, { field });
  return value;
}

export function parseUsername(value: unknown): string {
  if (typeof value !== 'string' || !USERNAME_PATTERN.test(value)) {
    throw invalid('INVALID_USERNAME', 'username must be 3 to 32 of a-z 0-9 _ . -');
  }
  return value;
}

export function parsePassword(value: unknown): string {
  if (
    typeof value !== 'string' ||
    characterCount(value) < PASSWORD_MIN ||
    characterCount(value) > PASSWORD_MAX
  ) {
    throw invalid('INVALID_PASSWORD', `password must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`);
  }
  return requireStorable(value, 'password');
}

export function parseDisplayName(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') requireStorable(value, 'displayName');
  if (
    typeof value !== 'string' ||
    value.trim() === '' ||
    characterCount(value) > DISPLAY_NAME_MAX ||
    /[\u0000-\u001f]/.test(value)
  ) {
    throw invalid(
      'INVALID_DISPLAY_NAME',
      `displayName must be 1 to ${DISPLAY_NAME_MAX} printable characters`,
    );
  }
  return value.trim();
}

export function parseMessageText(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw invalid('INVALID_TEXT', 'text must not be empty');
  requireStorable(value, 'text');
  if (characterCount(value) > TEXT_MAX) {
    throw invalid('TEXT_TOO_LONG', `text is ${characterCount(value)} characters; at most ${TEXT_MAX}`);
  }
  return value;
}

export function parseClientId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !CLIENT_ID_PATTERN.test(value)) {
    throw invalid('INVALID_ID', `${field} must be 1 to 64 of A-Z a-z 0-9 _ . : - (a UUID is recommended)`, {
      field,
    });
  }
  return value;
}
