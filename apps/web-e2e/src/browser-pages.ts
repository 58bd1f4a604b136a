// What every browser spec needs of its pages: a context of its own per user (storage, IndexedDB,
// network), the problems no page may have (Content-Security-Policy refusals, uncaught errors), and
// the README's screenshots when asked for.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/** PARLEY_SCREENSHOTS=1 (`npm run screenshots`): the README's pictures are taken on the way. */
export const SCREENSHOTS =
  process.env.PARLEY_SCREENSHOTS === '1' ? resolve(__dirname, '../../../docs/screenshots') : '';

export const DESKTOP = { width: 1280, height: 800 };

export interface BrowserPages {
  /** A page in a browser context of its own. */
  readonly newPage: (viewport?: { width: number; height: number }) => Promise<Page>;
  /** Closes every context made since the last call; answers the problems its pages had. */
  readonly closeAll: () => Promise<string[]>;
  readonly screenshot: (page: Page, name: string) => Promise<void>;
}

export function browserPages(browser: () => Browser, baseUrl: () => string): BrowserPages {
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];
  return {
    newPage: async (viewport = DESKTOP) => {
      const context = await browser().newContext({ baseURL: baseUrl(), viewport });
      // Shorter than Playwright's 30 s: everything here takes well under a second.
      context.setDefaultTimeout(10_000);
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
      page.on('console', (message) => {
        if (message.text().includes('Content Security Policy')) problems.push(message.text());
      });
      return page;
    },
    closeAll: async () => {
      await Promise.all(contexts.splice(0).map((context) => context.close()));
      return problems.splice(0);
    },
    screenshot: async (page, name) => {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: resolve(SCREENSHOTS, `${name}.png`) });
    },
  };
}
