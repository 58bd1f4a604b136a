import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/**
 * Headless Chromium as a test runs it: no sandbox (CI runs as root, in containers), no GPU, and
 * nothing fetched in the background (no updates, no field trials) to slow or disturb a test.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
] as const;

/** Names of a Chromium on PATH: Debian's package, Ubuntu's, Google's. */
const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

const executable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/**
 * The Chromium the tests drive: `PARLEY_CHROMIUM` when set (tools/bootstrap.js sets it to what it
 * found or installed), otherwise the first of the usual names on PATH; undefined when none.
 */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.PARLEY_CHROMIUM) return env.PARLEY_CHROMIUM;
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of CHROMIUM_NAMES)
    for (const dir of dirs) if (executable(join(dir, name))) return join(dir, name);
  return undefined;
}

/** Starts headless Chromium (Debian's `chromium` package) under playwright-core. */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath)
    throw new Error(
      'the browser tests need Chromium: `apt-get update && apt-get install -y chromium` ' +
        '(npm test installs it when run as root), or set PARLEY_CHROMIUM to a Chromium or Chrome binary',
    );
  return chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_ARGS] });
}
