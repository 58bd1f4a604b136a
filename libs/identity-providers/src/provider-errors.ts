// What a provider's refusal or failure means to Parley's client, in the project's error codes. The
// library throws openid-client's ClientError (with an oauth4webapi code and cause), ResponseBodyError
// (an OAuth error from the token endpoint), AuthorizationResponseError (an error in the callback),
// or TypeError (fetch could not connect).
import { DomainError, UnavailableError } from '@parley/domain';

/** How long a client should wait before trying a provider that failed. */
const PROVIDER_RETRY_AFTER_MS = 5_000;

const refused = (code: string, message: string) => new DomainError('invalid', code, message);

interface CodedError {
  readonly code?: unknown;
  readonly error?: unknown;
  readonly message?: unknown;
  readonly cause?: unknown;
  readonly name?: unknown;
}

/** The claim an ID-token comparison failed on (`nonce`, `iss`, `aud`, ...), if that was the failure. */
function failedClaim(error: CodedError): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth++) {
    const claim = (current as { claim?: unknown }).claim;
    if (typeof claim === 'string') return claim;
    current = (current as CodedError).cause;
  }
  return undefined;
}

const codeOf = (error: CodedError): string => (typeof error.code === 'string' ? error.code : '');

/**
 * Maps a failure of the provider flow to a refusal (4xx, the sign-in cannot succeed as it is) or an
 * UnavailableError (503, the provider cannot be reached or used now). DomainErrors pass unchanged.
 */
export function providerFailure(providerName: string, error: unknown): Error {
  if (error instanceof DomainError || error instanceof UnavailableError) return error;
  const coded = (error ?? {}) as CodedError;
  const name = typeof coded.name === 'string' ? coded.name : '';
  if (name === 'AuthorizationResponseError') {
    return coded.error === 'access_denied'
      ? new DomainError('forbidden', 'PROVIDER_DENIED', `the sign-in was not allowed at ${providerName}`)
      : refused('PROVIDER_DENIED', `${providerName} refused the sign-in (${String(coded.error)})`);
  }
  if (name === 'ResponseBodyError') {
    // invalid_grant: a code used already, expired, or not issued for this redirect and verifier;
    // GitHub says bad_verification_code.
    if (coded.error === 'invalid_grant' || coded.error === 'bad_verification_code')
      return refused(
        'CODE_REJECTED',
        `${providerName} refused the sign-in code (used already, expired, or not Parley's): sign in again`,
      );
    return new UnavailableError(
      `${providerName} refused Parley's request (${String(coded.error)})`,
      PROVIDER_RETRY_AFTER_MS,
      { cause: error },
    );
  }
  const code = codeOf(coded);
  if (code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED') {
    const claim = failedClaim(coded);
    if (claim === 'nonce')
      return refused(
        'NONCE_MISMATCH',
        'the ID token is not for this sign-in (nonce mismatch): sign in again',
      );
    if (claim === 'iss')
      return refused('ISSUER_MISMATCH', `the ID token was not issued by ${providerName}'s configured issuer`);
    return refused(
      'ID_TOKEN_INVALID',
      `the ID token from ${providerName} failed its checks (${claim ?? 'a claim'})`,
    );
  }
  if (code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED' || code === 'OAUTH_KEY_SELECTION_FAILED')
    return refused('ID_TOKEN_INVALID', `the ID token from ${providerName} failed its checks`);
  if (code === 'OAUTH_INVALID_RESPONSE' && typeof coded.cause === 'object' && coded.cause !== null) {
    const { message: causeMessage } = coded.cause as CodedError;
    const message = typeof causeMessage === 'string' ? causeMessage : '';
    if (message.includes('"iss"'))
      return refused('ISSUER_MISMATCH', `the answer does not come from ${providerName}'s configured issuer`);
    if (message.includes('"state"'))
      return refused('STATE_MISMATCH', 'the answer is not for this sign-in (state mismatch): sign in again');
  }
  return new UnavailableError(
    `${providerName} cannot be used for signing in right now; try again`,
    PROVIDER_RETRY_AFTER_MS,
    {
      cause: error,
    },
  );
}
