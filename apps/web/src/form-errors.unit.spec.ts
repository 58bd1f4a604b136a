import { providerSignInError, signInErrors, signUpErrors } from './form-errors';

describe('signUpErrors: the server refuses one field at a time, shown next to it', () => {
  it.each([
    [
      'INVALID_USERNAME',
      'username must be 3 to 32 of a-z 0-9 _ . -',
      'username',
      'Username must be 3 to 32 of a-z 0-9 _ . -',
    ],
    [
      'INVALID_DISPLAY_NAME',
      'displayName must be 1 to 64 printable characters',
      'displayName',
      'Display name must be 1 to 64 printable characters.',
    ],
    [
      'INVALID_PASSWORD',
      'password must be 8 to 256 characters',
      'password',
      'Password must be 8 to 256 characters.',
    ],
    [
      'INVALID_CHARACTER',
      'password contains U+0000 (NUL), which cannot be stored',
      'password',
      'Password contains U+0000 (NUL), which cannot be stored.',
    ],
    [
      'INVALID_CHARACTER',
      'displayName contains an unpaired surrogate (U+D800), which cannot be stored',
      'displayName',
      'Display name contains an unpaired surrogate (U+D800), which cannot be stored.',
    ],
  ])("given %s (%s), then the error is the %s field's", (code, message, field, shown) => {
    expect(signUpErrors({ code, message })).toEqual({ fields: { [field]: shown } });
  });

  it('given a taken username, then the username field says so', () => {
    expect(signUpErrors({ code: 'USERNAME_TAKEN', message: 'username is taken' })).toEqual({
      fields: { username: 'This username is taken. Choose another one.' },
    });
  });

  it("given a refusal of no field, then it is the form's, in the server's words or with when to try again", () => {
    expect(
      signUpErrors({
        code: 'RATE_LIMITED',
        message: 'too many registrations from your address; try again in 12 s',
        retryAfterMs: 11_500,
      }),
    ).toEqual({ fields: {}, form: 'Too many registrations from your address; try again in 12 s.' });
    expect(signUpErrors({ code: 'UNAVAILABLE', message: 'x', retryAfterMs: 1_200 })).toEqual({
      fields: {},
      form: 'Parley is busy right now. Try again in 2 s.',
    });
    expect(
      signUpErrors({ code: 'NETWORK', message: 'cannot reach Parley; check your connection and try again' }),
    ).toEqual({
      fields: {},
      form: 'Cannot reach Parley; check your connection and try again.',
    });
  });
});

describe('signInErrors', () => {
  it('given wrong credentials, then the form says so without naming a field (the server does not say which)', () => {
    expect(signInErrors({ code: 'INVALID_CREDENTIALS', message: 'invalid username or password' })).toEqual({
      fields: {},
      form: 'Wrong username or password.',
    });
  });

  it('given a disabled account, then the form says so', () => {
    expect(signInErrors({ code: 'ACCOUNT_DISABLED', message: 'this account is blocked' }).form).toBe(
      'This account is disabled. Ask an administrator.',
    );
  });
});

describe('providerSignInError', () => {
  it('says to sign in again when the result is gone, and does not blame the user for a failed check', () => {
    expect(providerSignInError({ code: 'SIGN_IN_EXPIRED', message: 'x' })).toBe(
      'This sign-in has expired or was finished already. Sign in again.',
    );
    for (const code of ['STATE_MISMATCH', 'NONCE_MISMATCH', 'ISSUER_MISMATCH', 'CODE_REJECTED'])
      expect(providerSignInError({ code, message: 'x' })).toMatch(/did not pass Parley’s checks/);
  });

  it('gives the server’s words for the account rules, as a sentence', () => {
    expect(
      providerSignInError({
        code: 'EMAIL_NOT_VERIFIED',
        message: 'an account uses this email, and google did not verify it',
      }),
    ).toBe('An account uses this email, and google did not verify it.');
  });
});
