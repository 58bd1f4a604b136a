import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newestChange } from './build-web';

describe('newestChange: whether the web build is stale', () => {
  let dir: string;
  const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-build-web-'));
    mkdirSync(join(dir, 'src/screens'), { recursive: true });
    for (const file of ['src/main.tsx', 'src/screens/SignIn.tsx', 'index.html'])
      writeFileSync(join(dir, file), '');
    for (const path of ['src/main.tsx', 'src/screens/SignIn.tsx', 'src/screens', 'src', 'index.html'])
      at(join(dir, path), 1_000);
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('given files in nested folders, then it is the newest time among them', () => {
    at(join(dir, 'src/screens/SignIn.tsx'), 2_000);
    expect(newestChange([join(dir, 'src'), join(dir, 'index.html')])).toBe(2_000_000);
  });

  it('given a deleted file, then its folder counts as changed', () => {
    rmSync(join(dir, 'src/screens/SignIn.tsx'));
    expect(newestChange([join(dir, 'src'), join(dir, 'index.html')])).toBeGreaterThan(1_000_000);
  });

  it('given a path that does not exist, then it counts for nothing', () => {
    expect(newestChange([join(dir, 'public'), join(dir, 'index.html')])).toBe(1_000_000);
  });
});
