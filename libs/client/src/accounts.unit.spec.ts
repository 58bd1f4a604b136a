import { Accounts, storageTokenStore } from './accounts';
import { HttpApi, type FetchLike } from './http-api';
import { MemoryStorage } from './storage';

const SESSION = {
  userId: '00000000-0000-4000-8000-00000000000a',
  username: 'ada',
  token: 'token-1',
  expiresAt: '2999-01-01T00:00:00.000Z',
};

describe('Accounts.exchangeSignIn (provider sign-in)', () => {
  it('given the landing’s one-time result, then it posts it once and keeps the session it answers', async () => {
    const requests: { url: string; body: string | undefined; auth: string | undefined }[] = [];
    const fetch: FetchLike = async (url, init) => {
      requests.push({ url, body: init.body, auth: init.headers.authorization });
      return {
        status: 200,
        text: async () => JSON.stringify({ ...SESSION, provider: 'google', outcome: 'registered' }),
      };
    };
    const storage = new MemoryStorage();
    const accounts = new Accounts(
      new HttpApi({ baseUrl: 'http://parley.test', fetch }),
      storageTokenStore(storage),
    );

    const session = await accounts.exchangeSignIn('r'.repeat(43));

    expect(requests).toEqual([
      {
        url: 'http://parley.test/v1/auth/exchange',
        body: JSON.stringify({ result: 'r'.repeat(43) }),
        auth: undefined,
      },
    ]);
    expect(session).toEqual(SESSION);
    expect(accounts.token()).toBe('token-1');
    expect(await storageTokenStore(storage).load()).toEqual(SESSION);
    accounts.close();
  });

  it('given a refused result, then it fails with the server’s code and keeps nothing', async () => {
    const fetch: FetchLike = async () => ({
      status: 400,
      text: async () => JSON.stringify({ error: { code: 'SIGN_IN_EXPIRED', message: 'sign in again' } }),
    });
    const storage = new MemoryStorage();
    const accounts = new Accounts(
      new HttpApi({ baseUrl: 'http://parley.test', fetch }),
      storageTokenStore(storage),
    );
    await expect(accounts.exchangeSignIn('x')).rejects.toMatchObject({
      code: 'SIGN_IN_EXPIRED',
      status: 400,
    });
    expect(await storageTokenStore(storage).load()).toBeUndefined();
  });
});
