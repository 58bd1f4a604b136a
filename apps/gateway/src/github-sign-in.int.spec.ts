// Sign-in with GitHub (OAuth 2 and its user API, no OpenID Connect) through a gateway on the real
// stack, against a local server that speaks GitHub's endpoints (github-like-server.ts), configured
// as an installation would (GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET, GITHUB_URL).
import { parseSignInProviders } from '@parley/config';
import { createSignInProviders } from '@parley/identity-providers';
import { startGitHubLikeServer, type GitHubLikeServer, type GitHubUser } from '../test/github-like-server';
import { startGatewayFixture, type GatewayFixture } from '../test/gateway-fixture';
import { TestUserAgent, freePort } from '../test/oidc-test-provider';

const OCTOCAT: GitHubUser = {
  id: 583231,
  login: 'octocat',
  name: 'The Octocat',
  emails: [
    { email: 'octocat@example.com', primary: true, verified: true },
    { email: 'old@example.com', primary: false, verified: false },
  ],
};

describe('sign-in with GitHub (OAuth 2 and its user API, against a GitHub-like server)', () => {
  let fixture: GatewayFixture;
  let github: GitHubLikeServer;
  let base: string;

  /** Start, GitHub's approval, the callback and the exchange, as a browser goes through them. */
  const signIn = async (as: GitHubUser, tamper: (callback: URL) => void = () => undefined) => {
    github.signInAs(as);
    const agent = new TestUserAgent();
    const start = await agent.request(`${base}/v1/auth/github/start`);
    const authorize = await agent.request(start.location ?? '');
    const callback = new URL(authorize.location ?? '');
    tamper(callback);
    const landing = await agent.request(callback.toString());
    const result = new URLSearchParams(new URL(landing.location ?? '').hash.slice(1)).get('result');
    const answer = await agent.request(`${base}/v1/auth/exchange`, { json: { result } });
    return {
      start: new URL(start.location ?? ''),
      callback,
      agent,
      status: answer.status,
      body: JSON.parse(answer.body) as Record<string, any>,
    };
  };

  beforeAll(async () => {
    github = await startGitHubLikeServer({ clientId: 'gh-client', clientSecret: 'gh-secret' });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const { providers, problems } = parseSignInProviders({
      GITHUB_CLIENT_ID: 'gh-client',
      GITHUB_CLIENT_SECRET: 'gh-secret',
      GITHUB_URL: github.url,
    });
    expect(problems).toEqual([]);
    fixture = await startGatewayFixture('github', {
      delivery: false,
      port,
      signIn: { providers: createSignInProviders(providers), publicBaseUrl: base, mergeVerifiedEmail: true },
    });
  });

  afterAll(async () => {
    await fixture?.dispose();
    await github?.close();
  });

  it('signs up with GitHub: state and PKCE to GitHub, the code redeemed with the secret and verifier, the numeric id as subject', async () => {
    const first = await signIn(OCTOCAT);
    expect(`${first.start.origin}${first.start.pathname}`).toBe(`${github.url}/login/oauth/authorize`);
    expect(Object.fromEntries(first.start.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'gh-client',
      redirect_uri: `${base}/v1/auth/github/callback`,
      scope: 'read:user user:email',
      state: expect.stringMatching(/^[\w-]{43}$/),
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      code_challenge_method: 'S256',
    });
    expect(github.tokenRequests.at(-1)).toMatchObject({
      grant_type: 'authorization_code',
      redirect_uri: `${base}/v1/auth/github/callback`,
      code_verifier: expect.stringMatching(/^[\w-]{43}$/),
      client_secret: '(sent)',
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ username: 'octocat', provider: 'github', outcome: 'registered' });
    const identities = await fetch(`${base}/v1/me/identities`, {
      headers: { authorization: `Bearer ${first.body.token}` },
    });
    expect(await identities.json()).toEqual({
      identities: [{ provider: 'github', name: 'GitHub', linkedAt: expect.any(String) }],
      password: false,
    });
    const { rows } = await fixture.pool.query(
      'SELECT subject, verified_email FROM user_identities WHERE user_id = $1',
      [first.body.userId],
    );
    expect(rows).toEqual([{ subject: '583231', verified_email: 'octocat@example.com' }]);

    const again = await signIn({ ...OCTOCAT, login: 'renamed-octocat' });
    expect([again.body.userId, again.body.outcome]).toEqual([first.body.userId, 'signed_in']);
  });

  it('refuses a code GitHub refuses (used already: 200 with bad_verification_code), and a state that is not the browser’s', async () => {
    const used = await signIn(OCTOCAT);
    expect(used.status).toBe(200);
    // The same code in a new sign-in of the same browser.
    const restart = await used.agent.request(`${base}/v1/auth/github/start`);
    const replay = new URL(used.callback);
    replay.searchParams.set('state', new URL(restart.location ?? '').searchParams.get('state') ?? '');
    const landing = await used.agent.request(replay.toString());
    const result = new URLSearchParams(new URL(landing.location ?? '').hash.slice(1)).get('result');
    const answer = await used.agent.request(`${base}/v1/auth/exchange`, { json: { result } });
    expect([answer.status, JSON.parse(answer.body).error.code]).toEqual([400, 'CODE_REJECTED']);

    const forged = await signIn(OCTOCAT, (callback) => callback.searchParams.set('state', 'x'.repeat(43)));
    expect([forged.status, forged.body.error.code]).toEqual([400, 'STATE_MISMATCH']);
  });

  it('never merges on an address GitHub has not verified, and keeps one GitHub identity per account', async () => {
    const impostor: GitHubUser = {
      id: 666,
      login: 'impostor',
      emails: [{ email: 'octocat@example.com', primary: true, verified: false }],
    };
    const refused = await signIn(impostor);
    expect([refused.status, refused.body.error.code]).toEqual([409, 'EMAIL_NOT_VERIFIED']);
    // A second GitHub account with octocat's verified address: octocat's account has a GitHub identity.
    const twin: GitHubUser = {
      id: 777,
      login: 'octotwin',
      emails: [{ email: 'octocat@example.com', primary: true, verified: true }],
    };
    const twinAnswer = await signIn(twin);
    expect([twinAnswer.status, twinAnswer.body.error.code]).toEqual([409, 'PROVIDER_ALREADY_LINKED']);
    const { rows } = await fixture.pool.query(
      "SELECT 1 FROM username_claims WHERE username IN ('impostor', 'octotwin')",
    );
    expect(rows).toEqual([]);
  });
});
