// The web app's static serving on an Express app of its own (a local socket, no infrastructure):
// files, caching, the SPA fallback, the paths it must leave alone, and the page without a build.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { contentSecurityPolicy, serveWebApp } from './web-app';

const INDEX =
  '<!doctype html><title>Parley</title><script type="module" src="/assets/index-abc123.js"></script>';

async function serve(dir: string): Promise<{ url: string; server: Server }> {
  const app = express();
  app.use(serveWebApp(dir));
  // What createHttpApp answers after it: the API's JSON 404.
  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'no such endpoint' } });
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('serveWebApp', () => {
  let built: string;
  let empty: string;
  let app: { url: string; server: Server };
  let unbuilt: { url: string; server: Server };

  beforeAll(async () => {
    built = mkdtempSync(join(tmpdir(), 'parley-web-'));
    mkdirSync(join(built, 'assets'));
    writeFileSync(join(built, 'index.html'), INDEX);
    writeFileSync(join(built, 'assets', 'index-abc123.js'), 'console.log("app");');
    writeFileSync(join(built, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(built, 'sw.js'), 'self.addEventListener("push", () => undefined);');
    empty = mkdtempSync(join(tmpdir(), 'parley-web-none-'));
    app = await serve(built);
    unbuilt = await serve(join(empty, 'dist/apps/web'));
  });

  afterAll(() => {
    app.server.close();
    unbuilt.server.close();
    rmSync(built, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  });

  it('given a build, when / is asked for, then it answers index.html, never cached unchecked, with the policy', async () => {
    const response = await fetch(`${app.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('content-security-policy')).toBe(
      contentSecurityPolicy(new URL(app.url).host),
    );
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toBe(INDEX);
  });

  it('given index.html asked for by another spelling, then it is still the page, with the policy', async () => {
    for (const path of ['/index.html', '/%69ndex.html', '//index.html']) {
      const response = await fetch(`${app.url}${path}`);
      expect({ path, status: response.status, csp: response.headers.get('content-security-policy') }).toEqual(
        {
          path,
          status: 200,
          csp: contentSecurityPolicy(new URL(app.url).host),
        },
      );
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });

  it("given a path of the app's own (no file extension), then it answers index.html, so a reload keeps the screen", async () => {
    for (const path of ['/sign-in', '/sign-up', '/conversations/5f0c/messages', '/index.html']) {
      const response = await fetch(`${app.url}${path}`);
      expect({ path, status: response.status, body: await response.text() }).toEqual({
        path,
        status: 200,
        body: INDEX,
      });
      expect(response.headers.get('cache-control')).toBe('no-cache');
    }
  });

  it('given a hashed asset, then it is cached for a year; other files are checked each time', async () => {
    const asset = await fetch(`${app.url}/assets/index-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const icon = await fetch(`${app.url}/favicon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('cache-control')).toBe('no-cache');
  });

  it('given the service worker, then /sw.js is JavaScript checked each time (a new build takes over at once)', async () => {
    const worker = await fetch(`${app.url}/sw.js`);
    expect(worker.status).toBe(200);
    expect(worker.headers.get('content-type')).toMatch(/javascript/);
    expect(worker.headers.get('cache-control')).toBe('no-cache');
  });

  it('given a missing file, then it is a 404, not the app', async () => {
    for (const path of ['/assets/index-old999.js', '/robots.txt']) {
      const response = await fetch(`${app.url}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    }
  });

  it("given the API's, STOMP's or the operators' paths, or another method than GET, then it leaves them to the routes after it", async () => {
    for (const path of [
      '/v1',
      '/v1/users/me',
      '/v1/whatever',
      '/V1/whatever',
      '/ws',
      '/healthz',
      '/readyz',
      '/metrics',
    ]) {
      const response = await fetch(`${app.url}${path}`);
      expect({ path, status: response.status, type: response.headers.get('content-type') }).toEqual({
        path,
        status: 404,
        type: expect.stringMatching(/^application\/json/),
      });
    }
    const post = await fetch(`${app.url}/`, { method: 'POST' });
    expect(post.status).toBe(404);
    // Paths that only start like a reserved one are the app's.
    expect((await fetch(`${app.url}/v1beta`)).status).toBe(200);
  });

  it('given no build, when a page is asked for, then it answers 503 saying to run npm run build', async () => {
    const response = await fetch(`${unbuilt.url}/`);
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('npm run build');
    expect((await fetch(`${unbuilt.url}/v1/users/me`)).status).toBe(404);
  });
});

describe('contentSecurityPolicy', () => {
  it('given a plain host, then connections may go to this origin over HTTP and WebSocket, scripts and styles come from it only', () => {
    const policy = contentSecurityPolicy('chat.example.com:8080');
    expect(policy).toContain("connect-src 'self' ws://chat.example.com:8080 wss://chat.example.com:8080");
    expect(policy).toContain("script-src 'self';");
    expect(policy).toContain("worker-src 'self';");
    expect(policy).toContain("style-src 'self';");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain('unsafe');
  });

  it('given a Host header that is no plain host, then it is not repeated into the policy', () => {
    expect(contentSecurityPolicy("evil.example; script-src 'unsafe-inline'")).toContain(
      "connect-src 'self';",
    );
    expect(contentSecurityPolicy(undefined)).toContain("connect-src 'self';");
    expect(contentSecurityPolicy('[::1]:8080')).toContain('ws://[::1]:8080');
  });
});
