// `npm run build`: compiles the services into dist/apps/<name>/main.js, what `npm start` runs and
// what a production supervisor runs (README, "Supervision").
import { SERVICES, buildServices } from './build-services';

buildServices().then(
  () => console.log(`built ${SERVICES.join(', ')} into dist/apps/<name>/main.js`),
  (error: unknown) => {
    console.error(`the build failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
