// Test support for provider sign-in: a real OpenID Connect provider (oidc-provider, in a child
// process: oidc-provider-process.mjs), free ports, and a browser-less user agent that goes through a
// sign-in as a browser does (redirects, cookies per host, the provider's login and consent forms).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

export interface TestClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: readonly string[];
}

export interface TestIdentityProvider {
  readonly issuer: string;
  stop(): Promise<void>;
}

/** A port nobody listens on right now (the specs need some before the servers that use them start). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** Starts oidc-provider on `port` with these clients; each login's claims from `accounts`. */
export async function startTestIdentityProvider(options: {
  readonly port: number;
  readonly clients: readonly TestClient[];
  readonly accounts?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}): Promise<TestIdentityProvider> {
  const child: ChildProcess = spawn(
    process.execPath,
    [resolve(__dirname, 'oidc-provider-process.mjs'), JSON.stringify(options)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const issuer = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`oidc-provider did not start: ${output}`)), 20_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        done(match[1]);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`oidc-provider exited (${code}): ${output}`));
    });
  });
  return {
    issuer,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

export interface HttpStep {
  readonly status: number;
  readonly location?: string;
  readonly body: string;
}

/**
 * A user agent without a browser: keeps cookies per host (paths ignored: the names differ), follows
 * nothing by itself, and goes through an OpenID Connect provider's development login and consent
 * pages (any login; the password is not checked there).
 */
export class TestUserAgent {
  private readonly jars = new Map<string, Map<string, string>>();

  /** `bearer`: the web app's token, as its same-origin calls send it (the link-intent call). */
  async request(
    url: string,
    init: { method?: string; form?: Record<string, string>; json?: unknown; bearer?: string } = {},
  ) {
    const { host } = new URL(url);
    const jar = this.jars.get(host) ?? new Map<string, string>();
    this.jars.set(host, jar);
    const headers: Record<string, string> = {};
    if (init.bearer) headers.authorization = `Bearer ${init.bearer}`;
    if (jar.size > 0) headers.cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    } else if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    }
    const response = await fetch(url, {
      method: init.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      redirect: 'manual',
      ...(body === undefined ? {} : { body }),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const maxAge = attributes.find((a) => /^\s*max-age=/i.test(a));
      const expires = attributes.find((a) => /^\s*expires=/i.test(a));
      const gone =
        value === '' ||
        (maxAge !== undefined && Number(maxAge.split('=')[1]) <= 0) ||
        (expires !== undefined && Date.parse(expires.split('=')[1] ?? '') < Date.now());
      if (gone) jar.delete(name);
      else jar.set(name, value);
    }
    const location = response.headers.get('location');
    return {
      status: response.status,
      ...(location ? { location: new URL(location, url).toString() } : {}),
      body: await response.text(),
    } satisfies HttpStep;
  }

  /** This agent's cookie `name` for `url`'s host (the sign-in's browser binding, for instance). */
  cookie(url: string, name: string): string | undefined {
    return this.jars.get(new URL(url).host)?.get(name);
  }

  setCookie(url: string, name: string, value: string): void {
    const { host } = new URL(url);
    const jar = this.jars.get(host) ?? new Map<string, string>();
    jar.set(name, value);
    this.jars.set(host, jar);
  }

  /**
   * At the provider from its authorization URL: signs in as `login` and consents when asked, until
   * the provider sends the browser back to a URL starting with `callbackPrefix`; answers that URL.
   */
  async signInAtProvider(authorizationUrl: string, login: string, callbackPrefix: string): Promise<string> {
    let url = authorizationUrl;
    for (let step = 0; step < 12; step++) {
      if (url.startsWith(callbackPrefix)) return url;
      const page = await this.request(url);
      if (page.location) {
        url = page.location;
        continue;
      }
      if (page.status !== 200)
        throw new Error(`the provider answered ${page.status} at ${url}: ${page.body}`);
      // A development interaction page: its form posts back to the same address.
      const prompt = /name="prompt" value="login"/.test(page.body) ? 'login' : 'consent';
      const form: Record<string, string> =
        prompt === 'login' ? { prompt, login, password: 'any' } : { prompt };
      const submitted = await this.request(url, { form });
      if (!submitted.location)
        throw new Error(`the ${prompt} form answered ${submitted.status}: ${submitted.body}`);
      url = submitted.location;
    }
    throw new Error('the provider never sent the browser back');
  }
}
