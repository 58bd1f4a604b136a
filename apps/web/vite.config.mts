// The web app's build (`npm run build`, and `npm start`/`npm test` before they start the stack):
// `vite build apps/web` writes dist/apps/web, which the gateway serves at `/`. `npx vite apps/web`
// serves it with live reload and hands the API and STOMP to a gateway on 8080 (`npm start`).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const GATEWAY = 'http://127.0.0.1:8080';

export default defineConfig({
  // The SDK from its source (its browser entry: IndexedDB storage, the global WebSocket), as
  // tsconfig.json's `paths` resolves it for the type-check.
  resolve: {
    alias: {
      '@parley/client': fileURLToPath(new URL('../../libs/client/src/index.ts', import.meta.url)),
    },
  },
  // Relative to this folder (the root `vite build apps/web` gives).
  build: { outDir: '../../dist/apps/web', emptyOutDir: true, sourcemap: true },
  server: {
    proxy: {
      '/v1': GATEWAY,
      '/ws': { target: GATEWAY, ws: true },
    },
  },
});
