import { DomainError } from '@parley/domain';
import type { ProviderProfile } from '@parley/identity-providers';
import {
  checkUnlink,
  decideProviderAccount,
  usernameCandidates,
  usernameFromHint,
  type KnownAccounts,
} from './provider-account-rules';

const profile = (overrides: Partial<ProviderProfile> = {}): ProviderProfile => ({
  provider: 'google',
  subject: 'g-123',
  email: 'ada@example.com',
  emailVerified: true,
  usernameHints: ['ada'],
  ...overrides,
});

const known = (overrides: Partial<KnownAccounts> = {}): KnownAccounts => ({
  emailOwners: [],
  subjectAtProvider: () => undefined,
  ...overrides,
});

const MERGE = { mergeVerifiedEmail: true };
const NO_MERGE = { mergeVerifiedEmail: false };
const SIGN_IN = { kind: 'sign-in' } as const;

/** The code of the DomainError `decide` throws. */
const refusal = (decide: () => unknown): string => {
  try {
    decide();
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('decideProviderAccount: signing in', () => {
  it('given an identity linked to an account, when it signs in, then it signs in to that account (whatever its email)', () => {
    const decision = decideProviderAccount(
      profile({ emailVerified: false }),
      SIGN_IN,
      known({ linkedUserId: 'u-1', emailOwners: ['u-2'] }),
      MERGE,
    );
    expect(decision).toEqual({ kind: 'sign-in', userId: 'u-1' });
  });

  it('given a new identity whose verified email one account holds, when merging is allowed, then it is linked to that account', () => {
    expect(decideProviderAccount(profile(), SIGN_IN, known({ emailOwners: ['u-2'] }), MERGE)).toEqual({
      kind: 'link',
      userId: 'u-2',
    });
  });

  it('given the same, when merging is not allowed, then a new account is made: an email alone never merges', () => {
    expect(decideProviderAccount(profile(), SIGN_IN, known({ emailOwners: ['u-2'] }), NO_MERGE)).toEqual({
      kind: 'register',
    });
  });

  it('given an email the provider did not verify that an account holds, when merging is allowed, then the sign-in is refused', () => {
    const decide = () =>
      decideProviderAccount(
        profile({ emailVerified: false }),
        SIGN_IN,
        known({ emailOwners: ['u-2'] }),
        MERGE,
      );
    expect(refusal(decide)).toBe('EMAIL_NOT_VERIFIED');
  });

  it('given a verified email that several accounts hold, then it is refused rather than guessed', () => {
    const decide = () =>
      decideProviderAccount(profile(), SIGN_IN, known({ emailOwners: ['u-2', 'u-3'] }), MERGE);
    expect(refusal(decide)).toBe('EMAIL_AMBIGUOUS');
  });

  it('given the email holder has another identity at the same provider, then it is refused', () => {
    const decide = () =>
      decideProviderAccount(
        profile(),
        SIGN_IN,
        known({ emailOwners: ['u-2'], subjectAtProvider: (id) => (id === 'u-2' ? 'g-999' : undefined) }),
        MERGE,
      );
    expect(refusal(decide)).toBe('PROVIDER_ALREADY_LINKED');
  });

  it('given a new identity without an email, or an email nobody holds, then a new account is made', () => {
    expect(decideProviderAccount(profile({ email: undefined }), SIGN_IN, known(), MERGE)).toEqual({
      kind: 'register',
    });
    expect(decideProviderAccount(profile({ emailVerified: false }), SIGN_IN, known(), MERGE)).toEqual({
      kind: 'register',
    });
  });
});

describe('decideProviderAccount: linking to the signed-in account', () => {
  const LINK = { kind: 'link', userId: 'u-1' } as const;

  it('given a new identity, then it is linked to the account that asked', () => {
    expect(decideProviderAccount(profile(), LINK, known(), NO_MERGE)).toEqual({
      kind: 'link',
      userId: 'u-1',
    });
  });

  it('given the identity is this account’s already, then nothing changes', () => {
    expect(decideProviderAccount(profile(), LINK, known({ linkedUserId: 'u-1' }), NO_MERGE)).toEqual({
      kind: 'already-linked',
      userId: 'u-1',
    });
  });

  it('given the identity is another account’s, then it is refused (never moved)', () => {
    expect(refusal(() => decideProviderAccount(profile(), LINK, known({ linkedUserId: 'u-2' }), MERGE))).toBe(
      'IDENTITY_TAKEN',
    );
  });

  it('given the account has another identity at this provider, then it is refused', () => {
    const decide = () =>
      decideProviderAccount(profile(), LINK, known({ subjectAtProvider: () => 'g-other' }), NO_MERGE);
    expect(refusal(decide)).toBe('PROVIDER_ALREADY_LINKED');
  });
});

describe('checkUnlink', () => {
  it('given a password and one provider, then unlinking the provider is allowed', () => {
    expect(() => checkUnlink({ hasPassword: true, providers: ['google'] }, 'google')).not.toThrow();
  });

  it('given no password and two providers, then unlinking one is allowed', () => {
    expect(() =>
      checkUnlink({ hasPassword: false, providers: ['google', 'github'] }, 'github'),
    ).not.toThrow();
  });

  it('given no password and one provider, then unlinking it is refused: it is the last way to sign in', () => {
    expect(refusal(() => checkUnlink({ hasPassword: false, providers: ['google'] }, 'google'))).toBe(
      'LAST_SIGN_IN_METHOD',
    );
  });

  it('given a provider the account is not linked to, then it is not found', () => {
    expect(refusal(() => checkUnlink({ hasPassword: true, providers: ['google'] }, 'github'))).toBe(
      'NOT_FOUND',
    );
  });
});

describe('usernames for new accounts', () => {
  it('keeps only what a username may hold, and takes an email address’s local part', () => {
    expect(usernameFromHint('Ada.Lovelace')).toBe('ada.lovelace');
    expect(usernameFromHint('ada+chat@example.com')).toBe('adachat');
    expect(usernameFromHint('Zoë Ünal')).toBe('zoeunal');
    expect(usernameFromHint('--x--')).toBeUndefined();
    expect(usernameFromHint('a'.repeat(40))).toBe('a'.repeat(32));
  });

  it('tries the hints first, then numbered names, and always has a fallback', () => {
    let n = 0;
    const random = () => String(1000 + n++);
    expect(usernameCandidates(['Ada', 'ada@example.com', 'Ada Lovelace'], random)).toEqual([
      'ada',
      'adalovelace',
      'ada-1000',
      'ada-1001',
      'ada-1002',
      'user-1003',
    ]);
    expect(usernameCandidates(['✨'], () => '42')).toEqual(['user-42', 'user-42', 'user-42', 'user-42']);
  });
});
