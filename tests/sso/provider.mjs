// A real OpenID provider for the single sign-on tests: the certified `oidc-provider` package (tests/node), started by
// tests/sso/conftest.py. Configured by environment variables, so that each test can start the provider it needs:
//   OIDC_PROVIDER_DIR  the installed oidc-provider package
//   OIDC_PORT       the port to listen on (loopback only)
//   OIDC_ISSUER     the issuer it names itself by (default http://127.0.0.1:PORT); another value makes a "wrong issuer"
//   OIDC_CLIENTS    JSON list of {client_id, client_secret, redirect_uris}
//   OIDC_ACCOUNTS   JSON object: login name -> {email, email_verified, name, groups}
//   OIDC_CLOCK_OFFSET_SECONDS  shifts the provider's clock (a server whose clock is wrong: the "clock skew" case)
//   OIDC_ID_TOKEN_TTL          lifetime of ID tokens in seconds (default 3600)
// It prints "ready <issuer>" on stdout once it listens. Sign-in uses the package's devInteractions (any password);
// consent is pre-granted (loadExistingGrant), as a company's identity provider does for its own applications.
import { pathToFileURL } from 'node:url';

// The package's folder comes from the test (tests/support/node_tools.py finds it): ESM ignores NODE_PATH.
const { default: Provider } = await import(pathToFileURL(`${process.env.OIDC_PROVIDER_DIR}/lib/index.js`).href);

const port = Number(process.env.OIDC_PORT);
const issuer = process.env.OIDC_ISSUER || `http://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.OIDC_CLIENTS || '[]');
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || '{}');
const offset = Number(process.env.OIDC_CLOCK_OFFSET_SECONDS || 0) * 1000;
if (offset) {
  const realNow = Date.now;
  Date.now = () => realNow() + offset;
}

const provider = new Provider(issuer, {
  clients: clients.map((client) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...client,
  })),
  // Authorization Code with PKCE only: a request without a code challenge is refused.
  pkce: { required: () => true, methods: ['S256'] },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  // Claims asked for by scope go into the ID token too (as Entra ID, Okta and Keycloak can be set up to do).
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  ttl: { IdToken: Number(process.env.OIDC_ID_TOKEN_TTL || 3600), Interaction: 86400, Session: 86400, Grant: 86400 },
  cookies: { keys: ['tests-only-cookie-key-0123456789abcdef'] },
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile groups');
    await grant.save();
    return grant;
  },
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, email_verified: true, ...account };
      },
    };
  },
});

const server = provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
