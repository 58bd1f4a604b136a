// A real OpenID Connect provider for the sign-in specs: oidc-provider (an ES module, so it runs in a
// process of its own rather than in jest's CommonJS loader). Its development login and consent pages
// accept any login; the claims of each login come from the configuration. Started by
// oidc-test-provider.ts with one JSON argument; prints `listening <issuer>` once it serves.
import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2] ?? '{}');
const issuer = `http://127.0.0.1:${config.port}`;
const accounts = config.accounts ?? {};

const provider = new Provider(issuer, {
  clients: config.clients.map((client) => ({
    client_id: client.clientId,
    client_secret: client.clientSecret,
    redirect_uris: client.redirectUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
  })),
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, name: id, preferred_username: id, ...accounts[id] };
      },
    };
  },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
  },
  // Codes of the client named `expiring` last one second (the spec of an expired code).
  ttl: {
    AuthorizationCode: (_ctx, _code, client) => (client.clientId === 'expiring' ? 1 : 60),
  },
  pkce: { required: () => true },
  cookies: { keys: ['oidc-test-provider-cookie-key'] },
});
// The development pages warn on every start; the specs do not need to read that.
provider.on('server_error', (_ctx, error) => console.error('oidc-provider server_error', error));

const server = provider.listen(config.port, '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
