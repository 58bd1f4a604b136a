// Which field of the account forms a refusal belongs to, and what to say. The server checks every
// field (PROTOCOL §1) and answers with the first it refuses; the app shows that next to its field.

export type AccountField = 'username' | 'displayName' | 'password';

export interface FormErrors {
  readonly fields: Partial<Record<AccountField, string>>;
  /** What belongs to no one field (wrong credentials, limits, the network). */
  readonly form?: string;
}

export interface Refusal {
  readonly code: string;
  readonly message: string;
  readonly retryAfterMs?: number;
}

export const NO_ERRORS: FormErrors = { fields: {} };

const FIELD_OF_CODE: Readonly<Record<string, AccountField>> = {
  INVALID_USERNAME: 'username',
  INVALID_DISPLAY_NAME: 'displayName',
  INVALID_PASSWORD: 'password',
};

/** The server's messages are lower case sentences without a full stop (`username must be ...`). */
const sentence = (message: string): string => {
  const trimmed = message.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  // A full stop after a word; not after a list of characters (`a-z 0-9 _ . -`).
  return /[\p{L}\p{N})]$/u.test(capital) ? `${capital}.` : capital;
};

/** The names the server gives the fields in its messages, and the forms' labels of them. */
const MESSAGE_FIELDS: readonly [string, AccountField, string][] = [
  ['displayName', 'displayName', 'Display name'],
  ['username', 'username', 'Username'],
  ['password', 'password', 'Password'],
];

/** A message about a field (`displayName must be ...`), naming the field as its label does. */
const aboutField = (message: string): string => {
  const named = MESSAGE_FIELDS.find(([name]) => message.startsWith(`${name} `));
  return sentence(named ? `${named[2]}${message.slice(named[0].length)}` : message);
};

const inSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** Refusals both forms share: limits, overload, the network. */
function formError(refusal: Refusal): string {
  switch (refusal.code) {
    case 'RATE_LIMITED':
      return sentence(refusal.message);
    case 'UNAVAILABLE':
      return refusal.retryAfterMs === undefined
        ? 'Parley is busy right now. Try again in a moment.'
        : `Parley is busy right now. Try again in ${inSeconds(refusal.retryAfterMs)} s.`;
    case 'INTERNAL':
      return "Something went wrong on Parley's side. Try again.";
    default:
      return sentence(refusal.message);
  }
}

export function signUpErrors(refusal: Refusal): FormErrors {
  if (refusal.code === 'USERNAME_TAKEN')
    return { fields: { username: 'This username is taken. Choose another one.' } };
  const field =
    FIELD_OF_CODE[refusal.code] ??
    (refusal.code === 'INVALID_CHARACTER'
      ? MESSAGE_FIELDS.find(([name]) => refusal.message.startsWith(`${name} `))?.[1]
      : undefined);
  if (field) return { fields: { [field]: aboutField(refusal.message) } };
  return { fields: {}, form: formError(refusal) };
}

export function signInErrors(refusal: Refusal): FormErrors {
  switch (refusal.code) {
    // The same for an unknown username and a wrong password: the server does not say which.
    case 'INVALID_CREDENTIALS':
      return { fields: {}, form: 'Wrong username or password.' };
    case 'ACCOUNT_DISABLED':
      return { fields: {}, form: 'This account is disabled. Ask an administrator.' };
    default:
      return { fields: {}, form: formError(refusal) };
  }
}

/** A provider sign-in the server refused (the landing's exchange, PROTOCOL §1, provider sign-in). */
export function providerSignInError(refusal: Refusal): string {
  switch (refusal.code) {
    case 'SIGN_IN_EXPIRED':
      return 'This sign-in has expired or was finished already. Sign in again.';
    case 'STATE_MISMATCH':
    case 'NONCE_MISMATCH':
    case 'ISSUER_MISMATCH':
    case 'CODE_REJECTED':
    case 'ID_TOKEN_INVALID':
      return 'The provider’s answer did not pass Parley’s checks, so you are not signed in. Sign in again.';
    case 'PROVIDER_DENIED':
      return 'The provider did not sign you in to Parley.';
    case 'ACCOUNT_DISABLED':
      return 'This account is disabled. Ask an administrator.';
    default:
      return formError(refusal);
  }
}
