// Test support: a local server that speaks GitHub's OAuth web flow and the two REST calls Parley
// makes (GitHub itself cannot be reached from here). It behaves as GitHub documents it: the
// authorization redirect with `code` and `state`, a token endpoint that answers JSON when asked and
// a refused code with 200 and `{"error": "bad_verification_code"}`, codes that work once and
// expire after ten minutes, PKCE (S256 only), and `GET /user`, `GET /user/emails` with the token.
// The person "signed in at GitHub" is whoever the spec says is next (`signInAs`).
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';

export interface GitHubUser {
  readonly id: number;
  readonly login: string;
  readonly name?: string;
  readonly emails: readonly { email: string; primary: boolean; verified: boolean }[];
}

interface IssuedCode {
  readonly user: GitHubUser;
  readonly redirectUri: string;
  readonly challenge?: string;
  readonly expiresAt: number;
}

export interface GitHubLikeServer {
  readonly url: string;
  /** Who approves the next authorization request. */
  signInAs(user: GitHubUser): void;
  /** Requests the token endpoint got, with the fields Parley sent (the secret's presence only). */
  readonly tokenRequests: Record<string, string>[];
  close(): Promise<void>;
}

const CODE_TTL_MS = 10 * 60_000;

export async function startGitHubLikeServer(client: {
  readonly clientId: string;
  readonly clientSecret: string;
}): Promise<GitHubLikeServer> {
  const app = express();
  const codes = new Map<string, IssuedCode>();
  const tokens = new Map<string, GitHubUser>();
  const tokenRequests: Record<string, string>[] = [];
  let next: GitHubUser | undefined;

  app.get('/login/oauth/authorize', (req, res) => {
    const query = req.query as Record<string, string | undefined>;
    if (query.client_id !== client.clientId || !query.redirect_uri || !next) {
      res.status(404).send('unknown client or nobody signed in');
      return;
    }
    if (query.code_challenge_method && query.code_challenge_method !== 'S256') {
      res.status(400).send('only S256');
      return;
    }
    const code = randomBytes(10).toString('hex');
    codes.set(code, {
      user: next,
      redirectUri: query.redirect_uri,
      ...(query.code_challenge ? { challenge: query.code_challenge } : {}),
      expiresAt: Date.now() + CODE_TTL_MS,
    });
    const back = new URL(query.redirect_uri);
    back.searchParams.set('code', code);
    if (query.state) back.searchParams.set('state', query.state);
    res.redirect(302, back.toString());
  });

  app.post('/login/oauth/access_token', express.urlencoded({ extended: false }), (req, res) => {
    const body = req.body as Record<string, string>;
    // Basic auth or the body, as GitHub accepts both.
    const basic = /^Basic (.+)$/.exec(req.header('authorization') ?? '')?.[1];
    const [basicId, basicSecret] = basic
      ? Buffer.from(basic, 'base64').toString().split(':').map(decodeURIComponent)
      : [];
    const clientId = body.client_id ?? basicId;
    const clientSecret = body.client_secret ?? basicSecret;
    tokenRequests.push({ ...body, client_secret: clientSecret ? '(sent)' : '' });
    const refuse = (error: string, description: string) => {
      res.status(200).json({ error, error_description: description, error_uri: 'https://docs.github.com' });
    };
    const issued = codes.get(body.code ?? '');
    codes.delete(body.code ?? '');
    const verifierHash = createHash('sha256')
      .update(body.code_verifier ?? '')
      .digest('base64url');
    if (clientId !== client.clientId || clientSecret !== client.clientSecret) {
      refuse('incorrect_client_credentials', 'The client_id and/or client_secret passed are incorrect.');
    } else if (!issued || issued.expiresAt < Date.now() || issued.redirectUri !== body.redirect_uri) {
      refuse('bad_verification_code', 'The code passed is incorrect or expired.');
    } else if (issued.challenge && verifierHash !== issued.challenge) {
      refuse('bad_verification_code', 'The code_verifier does not match the code_challenge.');
    } else {
      const token = `gho_${randomBytes(18).toString('hex')}`;
      tokens.set(token, issued.user);
      const answer = { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' };
      if ((req.header('accept') ?? '').includes('application/json')) res.json(answer);
      else res.type('application/x-www-form-urlencoded').send(new URLSearchParams(answer).toString());
    }
  });

  const userOf = (req: express.Request) =>
    tokens.get(/^(?:Bearer|token) (\S+)$/i.exec(req.header('authorization') ?? '')?.[1] ?? '');

  app.get('/api/v3/user', (req, res) => {
    const user = userOf(req);
    if (!user) res.status(401).json({ message: 'Bad credentials' });
    else res.json({ id: user.id, login: user.login, name: user.name ?? null, email: null });
  });

  app.get('/api/v3/user/emails', (req, res) => {
    const user = userOf(req);
    if (!user) res.status(401).json({ message: 'Bad credentials' });
    else res.json(user.emails.map((email) => ({ ...email, visibility: email.primary ? 'private' : null })));
  });

  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    signInAs: (user) => {
      next = user;
    },
    tokenRequests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
