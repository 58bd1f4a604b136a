// `npm run build`: compiles the services into dist/apps/<name>/main.js, what `npm start` runs and
// what a production supervisor runs (README, "Supervision"), and builds the web app the gateway
// serves into dist/apps/web (Vite). Asked for explicitly, it always builds both (well under two
// seconds); `npm start` and `npm test` skip the web build while it is newer than its sources.
import { SERVICES, buildServices } from './build-services';
import { buildWebApp } from './build-web';

async function build(): Promise<void> {
  await buildServices();
  console.log(`built ${SERVICES.join(', ')} into dist/apps/<name>/main.js`);
  const web = await buildWebApp({ force: true });
  if (web.built && web.warnings) console.log(web.warnings);
  if (web.built) console.log(`built the web app into dist/apps/web in ${web.ms} ms`);
}

build().catch((error: unknown) => {
  console.error(`the build failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
