import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenService } from '@parley/auth';
import { loadConfig } from '@parley/config';
import { installationSecret } from './installation-secret';

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('installationSecret (the token secret npm start keeps in .parley/)', () => {
  let base: string;
  let dir: string;

  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'parley-secret-'));
    dir = join(base, '.parley');
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('given a fresh installation, then it generates a random secret in a 0600 file in a 0700 directory', () => {
    const kept = installationSecret(dir);
    expect(kept).toMatchObject({ path: join(dir, 'jwt-secret'), created: true, tightened: false });
    expect(modeOf(kept.path)).toBe(0o600);
    expect(modeOf(dir)).toBe(0o700);
    expect(kept.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(readFileSync(kept.path, 'utf8').trim()).toBe(kept.secret);
    // Random per installation.
    expect(installationSecret(join(base, 'other')).secret).not.toBe(kept.secret);
  });

  it('given a secret kept by an earlier start, then it is reused as it is', () => {
    const first = installationSecret(dir);
    const again = installationSecret(dir);
    expect(again).toEqual({ ...first, created: false });
    expect(modeOf(again.path)).toBe(0o600);
  });

  it('given a directory or file others can read, then they are closed to them and it says so', () => {
    const first = installationSecret(dir);
    chmodSync(dir, 0o755);
    chmodSync(first.path, 0o644);
    const again = installationSecret(dir);
    expect(again).toMatchObject({ secret: first.secret, created: false, tightened: true });
    expect(modeOf(dir)).toBe(0o700);
    expect(modeOf(first.path)).toBe(0o600);
  });

  it('given a file that holds no usable secret, then it refuses, saying what to do', () => {
    installationSecret(dir);
    writeFileSync(join(dir, 'jwt-secret'), 'short\n');
    expect(() => installationSecret(dir)).toThrow(
      /jwt-secret does not hold a usable token secret \(5 characters, at least 32 needed\)\. Delete it/,
    );
  });

  it('given the kept secret, then the services accept it and a token signed with the old repository secret gets nowhere', async () => {
    const { secret } = installationSecret(dir);
    const config = loadConfig({ JWT_SECRET: secret }, { jwtSecret: 'required' });
    const tokens = new TokenService(config.auth.jwtSecret);
    const forged = await new TokenService('parley-local-development-secret-change-me!').issue('any-user-id');
    await expect(tokens.verify(forged.token)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
    const real = await tokens.issue('user-1');
    expect(await tokens.verify(real.token)).toBe('user-1');
  });
});
