import { stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';

/**
 * Paths the web app never answers, whatever is built: the API, the STOMP endpoint and the operator
 * endpoints keep their own answers (a JSON 404 or 401), never the app's index.html.
 */
// Case-insensitive, as express's routes are: /V1/x is the API's 404, not the app.
const RESERVED = /^\/(v1|ws|healthz|readyz|metrics)(\/|$)/i;

/** A year, the longest cache HTTP caches honour. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** A Host header fit to repeat in the policy (a name or address and a port, nothing else). */
const PLAIN_HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * The Content-Security-Policy of the app's pages: scripts, workers (the service worker), styles and
 * images from this origin only (the build inlines nothing), no plugins, no framing, and connections to this origin over HTTP and
 * WebSocket. `'self'` covers ws: and wss: in CSP Level 3 only; naming the host too covers older
 * browsers.
 */
export function contentSecurityPolicy(host: string | undefined): string {
  const sockets = host && PLAIN_HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    // The service worker (/sw.js) that shows push notifications: this origin's only.
    "worker-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${sockets}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers of every page of the app (index.html and the page saying the build is missing). */
function pageHeaders(req: Request, res: Response): void {
  res.set({
    'Content-Security-Policy': contentSecurityPolicy(req.headers.host),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    // Always asked again (cheaply, by ETag): a new build's index.html names new asset files.
    'Cache-Control': 'no-cache',
  });
}

const MISSING_BUILD_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Parley: web app not built</title></head>
<body>
<h1>The web app is not built</h1>
<p>This gateway serves the web app from <code>dist/apps/web</code>, which does not exist yet.
Run <code>npm run build</code> (or <code>npm start</code>, which builds it), then reload this page.</p>
<p>The HTTP API (<code>/v1</code>) and STOMP (<code>/ws</code>) work without it.</p>
</body>
</html>
`;

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/**
 * Serves the built web app from `dir` (Vite's output): its files as they are, with a year's cache
 * for the content-hashed assets, and index.html for every other GET of a path without a file
 * extension, so the app's own routes (`/sign-in`) survive a reload. The API's and operators' paths
 * are left to the routes after it. Without a build, pages answer 503 saying how to build one; the
 * build is looked up per request, so a build made while the gateway runs is served at once.
 */
export function serveWebApp(dir: string): RequestHandler {
  // Vite names what it builds into assets/ after its content: such a file never changes.
  const hashedAssets = join(dir, 'assets') + sep;
  const index = join(dir, 'index.html');
  const files = express.static(dir, {
    index: false,
    // Unknown files fall through to the SPA fallback below (and then to a 404).
    fallthrough: true,
    // Its own Cache-Control would say max-age=0 for everything.
    cacheControl: false,
    setHeaders: (res, path) => {
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Cache-Control', path.startsWith(hashedAssets) ? IMMUTABLE : 'no-cache');
      // index.html reached by another spelling (/%69ndex.html, //index.html, /x/../index.html: the
      // static server decodes and normalises what the check below compares raw) is still the page.
      if (path === index) pageHeaders(res.req as Request, res);
    },
  });
  return (req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || RESERVED.test(req.path)) return next();
    const page = () =>
      isFile(index).then((built) => {
        pageHeaders(req, res);
        if (!built) {
          res.status(503).type('html').send(MISSING_BUILD_PAGE);
          return;
        }
        res.sendFile(index, { cacheControl: false }, (sendError?: Error) => {
          if (sendError && !res.headersSent) next(sendError);
        });
      }, next);
    // index.html is only ever served as the app's page, with the page headers.
    if (req.path === '/index.html') return void page();
    files(req, res, (error?: unknown) => {
      if (error) return next(error);
      // A missing file with an extension (a stale asset, a favicon) is a plain 404, not the app.
      if (/\.[A-Za-z0-9]+$/.test(req.path)) return next();
      void page();
    });
  };
}
