// A real OpenID Connect provider for the hub's SSO tests and for the local demo.
//
// panva/oidc-provider (OpenID Certified) does the protocol: discovery, JWKS, authorization
// code with PKCE, state, nonce, signed ID tokens, userinfo. This file only adds what every
// identity provider has of its own: a list of accounts with passwords and a sign-in page.
//
//   node server.mjs CONFIG.json
//
// CONFIG: {"port": 0, "clients": [{client_id, client_secret, redirect_uris}],
//          "accounts": {"someone@example.org": {"password": "...", "given_name": "...",
//                       "family_name": "...", "email_verified": true}}}
// It listens on 127.0.0.1 only. With "port": 0 it takes a free port. When ready it prints
// one line: `READY http://127.0.0.1:PORT` (the issuer), then serves until SIGTERM.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = config.accounts ?? {};

function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  }[c]));
}

// A stable, opaque subject per account, as real providers give.
function subjectOf(email) {
  return createHash('sha256').update(email.toLowerCase()).digest('hex').slice(0, 24);
}

function signInPage({ uid, login = '', error = '' }) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in – Test identity provider</title></head>
<body>
  <main>
    <h1>Test identity provider</h1>
    ${error ? `<p role="alert" id="error">${escapeHtml(error)}</p>` : ''}
    <form method="post" action="/interaction/${escapeHtml(uid)}/login">
      <p><label for="login">Email</label>
        <input id="login" name="login" type="email" autocomplete="username" value="${escapeHtml(login)}" required></p>
      <p><label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required></p>
      <p><button type="submit">Sign in to the identity provider</button></p>
    </form>
  </main>
</body></html>`;
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 16 * 1024) throw new Error('body too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const server = createServer();
server.listen(config.port ?? 0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };

  const provider = new Provider(issuer, {
    clients: (config.clients ?? []).map((client) => ({
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      ...client,
    })),
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name'],
    },
    // Put the scope's claims in the ID token too, as Google and Okta do.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, id) {
      const account = accounts[id];
      if (!account) return undefined;
      return {
        accountId: id,
        async claims() {
          const given = account.given_name ?? '';
          const family = account.family_name ?? '';
          return {
            sub: account.sub ?? subjectOf(id),
            email: account.email ?? id,
            email_verified: account.email_verified ?? true,
            given_name: given,
            family_name: family,
            name: `${given} ${family}`.trim(),
          };
        },
      };
    },
    // A company's own identity provider asks no consent for its own applications.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
  });

  const interaction = /^\/interaction\/([\w-]+)(\/login)?$/;
  const handle = provider.callback();
  server.on('request', async (req, res) => {
    const match = interaction.exec(new URL(req.url, issuer).pathname);
    if (!match) {
      handle(req, res);
      return;
    }
    try {
      const details = await provider.interactionDetails(req, res);
      const uid = match[1];
      if (details.prompt.name !== 'login') {
        // Consent is granted by loadExistingGrant; nothing else is asked.
        await provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
        return;
      }
      if (req.method === 'POST' && match[2]) {
        const form = await readForm(req);
        const login = (form.get('login') ?? '').trim().toLowerCase();
        const account = accounts[login];
        if (!account || account.password !== form.get('password')) {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
          res.end(signInPage({ uid, login, error: 'Wrong email or password.' }));
          return;
        }
        await provider.interactionFinished(req, res, { login: { accountId: login } }, {
          mergeWithLastSubmission: false,
        });
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(signInPage({ uid, login: details.params.login_hint ?? '' }));
    } catch (error) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`Interaction failed: ${error.message}`);
    }
  });

  process.stdout.write(`READY ${issuer}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
