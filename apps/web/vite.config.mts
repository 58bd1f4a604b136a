// The web app's build (`npm run build`, and `npm start`/`npm test` before they start the stack):
// `vite build apps/web` writes dist/apps/web, which the gateway serves at `/`. `npx vite apps/web`
// serves it with live reload and hands the API and STOMP to a gateway on 8080 (`npm start`).
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { defineConfig, type Plugin } from 'vite';

const GATEWAY = 'http://127.0.0.1:8080';
const SERVICE_WORKER = fileURLToPath(new URL('./sw/sw.ts', import.meta.url));

/** sw/sw.ts bundled into one classic script (a service worker cannot count on ES modules everywhere). */
async function serviceWorkerScript(minify: boolean): Promise<string> {
  const result = await build({
    entryPoints: [SERVICE_WORKER],
    bundle: true,
    format: 'iife',
    target: 'es2022',
    minify,
    write: false,
    logLevel: 'error',
  });
  return result.outputFiles[0]?.text ?? '';
}

/**
 * The service worker at `/sw.js`, beside index.html: not under assets/ with a hash, because its URL
 * is its identity (a registration names it) and its scope is the folder it is served from.
 */
function serviceWorker(): Plugin {
  return {
    name: 'parley-service-worker',
    async generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'sw.js', source: await serviceWorkerScript(true) });
    },
    configureServer(server) {
      server.middlewares.use('/sw.js', (_req, res, next) => {
        serviceWorkerScript(false).then((code) => {
          res.setHeader('Content-Type', 'text/javascript');
          res.setHeader('Cache-Control', 'no-cache');
          res.end(code);
        }, next);
      });
    },
  };
}

export default defineConfig({
  // The SDK from its source (its browser entry: IndexedDB storage, the global WebSocket), as
  // tsconfig.json's `paths` resolves it for the type-check.
  resolve: {
    alias: {
      '@parley/client': fileURLToPath(new URL('../../libs/client/src/index.ts', import.meta.url)),
    },
  },
  plugins: [serviceWorker()],
  // Relative to this folder (the root `vite build apps/web` gives).
  build: { outDir: '../../dist/apps/web', emptyOutDir: true, sourcemap: true },
  server: {
    proxy: {
      '/v1': GATEWAY,
      '/ws': { target: GATEWAY, ws: true },
    },
  },
});
