// Sign-in with a provider (docs/protocol.md §1) in the gateway's OpenAPI document: the public
// routes the browser goes through and the signed-in account's identity routes.
import {
  PUBLIC,
  answer,
  jsonBody,
  noContent,
  queryParameter,
  refusals,
  schemaRef,
  type JsonObject,
} from './document-parts';

const TOKEN_CODES = ['TOKEN_MISSING', 'TOKEN_INVALID', 'TOKEN_EXPIRED', 'ACCOUNT_DISABLED'];
const UNREADABLE = ['MALFORMED_JSON', 'MALFORMED_BODY'];
const ALWAYS = { 500: ['INTERNAL'], 503: ['UNAVAILABLE'] };
const BODY_REFUSALS = { 413: ['BODY_TOO_LARGE'], 415: ['UNSUPPORTED_MEDIA_TYPE'] };

const providerParameter: JsonObject = {
  name: 'provider',
  in: 'path',
  required: true,
  description: 'A configured provider’s id (`GET /v1/auth/providers`).',
  schema: { type: 'string' },
};

/** A browser step: a redirect, never a JSON body (refusals reach the web app as a one-time result). */
const redirect = (description: string): JsonObject => ({
  description,
  headers: { Location: { description: 'Where the browser goes next.', schema: { type: 'string' } } },
});

/** Every refusal a finished sign-in may hand over (answered by the exchange, in the error shape). */
const SIGN_IN_REFUSALS = {
  400: [
    ...UNREADABLE,
    'INVALID_BODY',
    'SIGN_IN_EXPIRED',
    'STATE_MISMATCH',
    'NONCE_MISMATCH',
    'ISSUER_MISMATCH',
    'CODE_REJECTED',
    'ID_TOKEN_INVALID',
    'PROVIDER_DENIED',
  ],
  401: ['ACCOUNT_DISABLED'],
  403: ['PROVIDER_DENIED'],
  404: ['NOT_FOUND'],
  409: [
    'EMAIL_NOT_VERIFIED',
    'EMAIL_AMBIGUOUS',
    'IDENTITY_TAKEN',
    'PROVIDER_ALREADY_LINKED',
    'USERNAME_TAKEN',
  ],
  ...BODY_REFUSALS,
  429: ['RATE_LIMITED'],
  ...ALWAYS,
};

export const PROVIDER_PATHS: Readonly<Record<string, JsonObject>> = {
  '/v1/auth/providers': {
    get: {
      operationId: 'signInProviders',
      summary: 'The providers one may sign in with (PROTOCOL §1, provider sign-in)',
      tags: ['accounts'],
      ...PUBLIC,
      responses: {
        200: answer(
          'The configured providers, in a stable order; empty when none is.',
          schemaRef('Providers'),
        ),
      },
    },
  },
  '/v1/auth/{provider}/start': {
    get: {
      operationId: 'startProviderSignIn',
      summary: 'Send the browser to the provider (PROTOCOL §1, provider sign-in)',
      description:
        'Authorization code flow with PKCE (S256), `state` and (OpenID Connect) `nonce`, kept on the server; the browser gets the state in an HttpOnly cookie. With `link` (from the link-intent call, in the browser that made it: its `parley_link` cookie must hold the same intent, else `STATE_MISMATCH`), the provider is linked to that account. A refusal (rate limit, a used link intent, the provider unavailable) also redirects: to the web app’s landing with a one-time result that `POST /v1/auth/exchange` answers.',
      tags: ['accounts'],
      ...PUBLIC,
      parameters: [
        providerParameter,
        queryParameter('link', 'A link intent (`POST /v1/me/identities/{provider}/link-intent`).', {
          type: 'string',
        }),
      ],
      responses: {
        303: redirect('To the provider’s authorization page, or to the web app’s landing with a refusal.'),
        ...refusals({ 404: ['NOT_FOUND'], ...ALWAYS }),
      },
    },
  },
  '/v1/auth/{provider}/callback': {
    get: {
      operationId: 'providerSignInCallback',
      summary: 'The provider’s redirect back (PROTOCOL §1, provider sign-in)',
      description:
        'Checks the answer (the cookie’s state, the issuer, the code with the PKCE verifier, the ID token’s signature, issuer, audience and nonce), signs in, signs up or links, and redirects to `PUBLIC_BASE_URL/auth/callback#result=<one-time id>`: the token never travels in a URL.',
      tags: ['accounts'],
      ...PUBLIC,
      parameters: [providerParameter],
      responses: {
        303: redirect('To the web app’s landing, with the one-time result in the fragment.'),
        ...refusals({ 404: ['NOT_FOUND'], ...ALWAYS }),
      },
    },
  },
  '/v1/auth/exchange': {
    post: {
      operationId: 'exchangeSignInResult',
      summary: 'The session of a finished provider sign-in, once (PROTOCOL §1, provider sign-in)',
      description:
        'Only from the browser the result landed in: it must bring the `parley_result` cookie the landing redirect set, else `400 STATE_MISMATCH` (the result is taken either way).',
      tags: ['accounts'],
      ...PUBLIC,
      requestBody: jsonBody(schemaRef('SignInResultRequest')),
      responses: {
        200: answer('Signed in: a token, and what happened.', schemaRef('ProviderSession')),
        ...refusals(SIGN_IN_REFUSALS),
      },
    },
  },
  '/v1/me/identities': {
    get: {
      operationId: 'myIdentities',
      summary: 'The caller’s ways of signing in (PROTOCOL §1, provider sign-in)',
      tags: ['accounts'],
      responses: {
        200: answer(
          'Linked providers, oldest first, and whether there is a password.',
          schemaRef('Identities'),
        ),
        ...refusals({ 401: TOKEN_CODES, ...ALWAYS }),
      },
    },
  },
  '/v1/me/password': {
    put: {
      operationId: 'setPassword',
      summary: 'Set a password on an account that has none (PROTOCOL §1, provider sign-in)',
      tags: ['accounts'],
      requestBody: jsonBody(schemaRef('SetPasswordRequest')),
      responses: {
        204: noContent('The password is set: the username and it sign in.'),
        ...refusals({
          400: [...UNREADABLE, 'INVALID_BODY', 'INVALID_PASSWORD'],
          401: TOKEN_CODES,
          409: ['PASSWORD_ALREADY_SET'],
          ...BODY_REFUSALS,
          ...ALWAYS,
        }),
      },
    },
  },
  '/v1/me/identities/{provider}/link-intent': {
    post: {
      operationId: 'linkIntent',
      summary: 'Begin linking a provider to the caller’s account (PROTOCOL §1, provider sign-in)',
      description:
        'A one-time intent of two minutes, also set as the HttpOnly cookie `parley_link` (path `/v1/auth/`): the same browser opens `startUrl`, signs in at the provider, and the callback links that identity to this account.',
      tags: ['accounts'],
      parameters: [providerParameter],
      responses: {
        201: answer('Where to send the browser.', schemaRef('LinkIntent')),
        ...refusals({ 401: TOKEN_CODES, 404: ['NOT_FOUND'], ...ALWAYS }),
      },
    },
  },
  '/v1/me/identities/{provider}': {
    delete: {
      operationId: 'unlinkIdentity',
      summary: 'Unlink a provider from the caller’s account (PROTOCOL §1, provider sign-in)',
      tags: ['accounts'],
      parameters: [providerParameter],
      responses: {
        204: noContent('Unlinked: that identity no longer signs in to this account.'),
        ...refusals({ 401: TOKEN_CODES, 404: ['NOT_FOUND'], 409: ['LAST_SIGN_IN_METHOD'], ...ALWAYS }),
      },
    },
  },
};

const object = (
  required: readonly string[],
  properties: Readonly<Record<string, JsonObject>>,
): JsonObject => ({
  type: 'object',
  required: [...required],
  properties,
});

export const PROVIDER_SCHEMAS: Readonly<Record<string, JsonObject>> = {
  Providers: object(['providers'], {
    providers: {
      type: 'array',
      items: object(['id', 'name'], {
        id: { type: 'string', pattern: '^[a-z0-9]+$' },
        name: { type: 'string', description: 'For the button: Google, GitHub, Yandex, or OIDC_<ID>_NAME.' },
      }),
    },
  }),
  SignInResultRequest: object(['result'], {
    result: { type: 'string', description: 'The `result` of the landing URL’s fragment.' },
  }),
  ProviderSession: object(['userId', 'username', 'token', 'expiresAt', 'provider', 'outcome'], {
    userId: { type: 'string', format: 'uuid' },
    username: schemaRef('Username'),
    token: { type: 'string' },
    expiresAt: { type: 'string', format: 'date-time' },
    provider: { type: 'string' },
    outcome: {
      enum: ['signed_in', 'registered', 'linked'],
      description: 'An existing account, a new one, or the identity newly linked to an existing one.',
    },
  }),
  Identities: object(['identities', 'password'], {
    identities: {
      type: 'array',
      items: object(['provider', 'name', 'linkedAt'], {
        provider: { type: 'string' },
        name: { type: 'string' },
        linkedAt: { type: 'string', format: 'date-time' },
      }),
    },
    password: { type: 'boolean', description: 'Whether the account has a password.' },
  }),
  SetPasswordRequest: object(['password'], {
    password: { type: 'string', minLength: 8, maxLength: 256, description: '8 to 256 characters.' },
  }),
  LinkIntent: object(['startUrl', 'expiresAt'], {
    startUrl: { type: 'string', format: 'uri', description: 'Open it in the browser (a one-time link).' },
    expiresAt: { type: 'string', format: 'date-time' },
  }),
};
