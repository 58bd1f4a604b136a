// The pure rules of provider sign-in: which account a provider's identity signs in to, whether a
// link may be removed, and which usernames a new account may get. No I/O: the service reads what
// the rules need and carries out what they decide.
import { DomainError, USERNAME_PATTERN } from '@parley/domain';
import type { ProviderProfile } from '@parley/identity-providers';

/** Signing in (or up), or linking the identity to the signed-in account that asked for it. */
export type SignInIntent = { readonly kind: 'sign-in' } | { readonly kind: 'link'; readonly userId: string };

/** What the read models say about the identity and its email. */
export interface KnownAccounts {
  /** The account this identity is linked to, if any. */
  readonly linkedUserId?: string;
  /**
   * The accounts holding `email` as a verified email of another identity (only looked up when the
   * merge setting is on and the profile has an email).
   */
  readonly emailOwners: readonly string[];
  /** For each account that may get the identity: the subject it already has at this provider. */
  readonly subjectAtProvider: (userId: string) => string | undefined;
}

export type AccountDecision =
  | { readonly kind: 'sign-in'; readonly userId: string }
  | { readonly kind: 'link'; readonly userId: string }
  | { readonly kind: 'already-linked'; readonly userId: string }
  | { readonly kind: 'register' };

const conflict = (code: string, message: string) => new DomainError('conflict', code, message);

/**
 * Decides the account for a provider's identity:
 * - linking: the signed-in account gets the identity, unless another account has it, or this one
 *   has another identity at the same provider;
 * - signing in: an identity already linked signs in to its account; with `mergeVerifiedEmail`, a new
 *   identity whose email the provider verified joins the one account holding that verified email;
 *   an email alone never merges (unverified: refused, so nobody lands in a second account by
 *   surprise); otherwise a new account is made.
 * Throws the refusal as a DomainError.
 */
export function decideProviderAccount(
  profile: ProviderProfile,
  intent: SignInIntent,
  known: KnownAccounts,
  settings: { readonly mergeVerifiedEmail: boolean },
): AccountDecision {
  const { linkedUserId } = known;
  const otherSubject = (userId: string) => {
    const subject = known.subjectAtProvider(userId);
    return subject !== undefined && subject !== profile.subject;
  };
  if (intent.kind === 'link') {
    if (linkedUserId === intent.userId) return { kind: 'already-linked', userId: intent.userId };
    if (linkedUserId !== undefined)
      throw conflict('IDENTITY_TAKEN', `this ${profile.provider} identity is linked to another account`);
    if (otherSubject(intent.userId))
      throw conflict(
        'PROVIDER_ALREADY_LINKED',
        `this account is linked to another ${profile.provider} identity; unlink it first`,
      );
    return { kind: 'link', userId: intent.userId };
  }
  if (linkedUserId !== undefined) return { kind: 'sign-in', userId: linkedUserId };
  if (!settings.mergeVerifiedEmail || profile.email === undefined || known.emailOwners.length === 0)
    return { kind: 'register' };
  if (!profile.emailVerified)
    throw conflict(
      'EMAIL_NOT_VERIFIED',
      `an account uses this email, and ${profile.provider} did not verify it: sign in to that account and link ${profile.provider} there`,
    );
  const [owner, ...others] = known.emailOwners;
  if (owner === undefined || others.length > 0)
    throw conflict(
      'EMAIL_AMBIGUOUS',
      'several accounts use this email: sign in to the one you want and link the provider there',
    );
  if (otherSubject(owner))
    throw conflict(
      'PROVIDER_ALREADY_LINKED',
      `the account with this email is linked to another ${profile.provider} identity`,
    );
  return { kind: 'link', userId: owner };
}

/** How an account can sign in: its password (if it set one) and its linked providers. */
export interface SignInMethods {
  readonly hasPassword: boolean;
  readonly providers: readonly string[];
}

/** Unlinking `provider` is refused when it is not linked, or when it is the last way to sign in. */
export function checkUnlink(methods: SignInMethods, provider: string): void {
  if (!methods.providers.includes(provider))
    throw new DomainError('not_found', 'NOT_FOUND', `this account is not linked to ${provider}`);
  if (!methods.hasPassword && methods.providers.length === 1)
    throw conflict(
      'LAST_SIGN_IN_METHOD',
      `${provider} is this account's only way to sign in: set a password or link another provider first`,
    );
}

const USERNAME_MAX = 32;

/** A username from a hint: lower case, only `a-z 0-9 _ . -`, 3 to 32 characters; undefined if none. */
export function usernameFromHint(hint: string): string | undefined {
  const cleaned = hint
    .normalize('NFKD')
    .toLowerCase()
    .replace(/@.*$/, '') // an email address: its local part
    .replace(/[^a-z0-9_.-]+/g, '')
    .replace(/^[._-]+|[._-]+$/g, '')
    .slice(0, USERNAME_MAX);
  return USERNAME_PATTERN.test(cleaned) ? cleaned : undefined;
}

/**
 * Usernames to try for a new account, in order: each hint as it is, then the first hint with a
 * random number, then `user-` and a random number. `random` gives digits (the caller's randomness).
 */
export function usernameCandidates(hints: readonly string[], random: () => string): string[] {
  const bases = [...new Set(hints.map(usernameFromHint).filter((name) => name !== undefined))];
  const first = bases[0] ?? 'user';
  const numbered = (base: string) => {
    const suffix = `-${random()}`;
    return `${base.slice(0, USERNAME_MAX - suffix.length)}${suffix}`;
  };
  return [...bases, numbered(first), numbered(first), numbered(first), numbered('user')];
}
