import { expect } from 'chai';
import type { OpenRedNode } from '../../../core/kernel/node.js';
import { FIXTURE_PLUGINS } from '../../helpers/community.js';
import { errorCode, setupOwner, startAuthNode, PLUGINS, type AuthNode } from './helpers.js';

interface ApiRoute {
  method: string;
  path: string;
  public: boolean;
  owner: string;
}

/** Every owner-surface route the node serves: the kernel's and every active plugin's. */
function registeredApiRoutes(node: OpenRedNode): ApiRoute[] {
  const routes: ApiRoute[] = [];
  for (const layer of node.apiRouter.stack) {
    for (const method of layer.methods.filter((m) => m !== 'HEAD')) {
      routes.push({ method, path: String(layer.path), public: false, owner: 'kernel' });
    }
  }
  for (const g of node.dispatcher.table.generations) {
    for (const r of g.routes.filter((x) => x.surface === 'api')) {
      routes.push({
        method: r.method,
        path: `/api${r.path}`,
        public: r.options.public === true,
        owner: g.plugin,
      });
    }
  }
  return routes;
}

const concrete = (path: string) => path.replace(/:[A-Za-z0-9_]+/g, 'x');
const GUARD_CODES = [
  'OR_ERR_AUTH_REQUIRED',
  'OR_ERR_AUTH_NOT_CONFIGURED',
  'OR_ERR_SESSION_INVALID',
  'OR_ERR_SESSION_EXPIRED',
  'OR_ERR_SESSION_REVOKED',
  'OR_ERR_OWNER_AUTH_UNAVAILABLE',
];

/** Routes that end the caller's own session: walked with a valid token, they would end the walk. */
const ENDS_SESSION = /\/auth\/(logout|sessions\/revoke-all)$/;

async function walk(n: AuthNode, token: string | undefined, expectCode: string | null) {
  const routes = registeredApiRoutes(n.t.node).filter(
    (r) => expectCode !== null || !ENDS_SESSION.test(r.path),
  );
  const seen: string[] = [];
  for (const route of routes) {
    const r = await n.api(route.method, concrete(route.path), {
      token,
      json: route.method === 'GET' ? undefined : {},
    });
    const where = `${route.method} ${route.path} (${route.owner})`;
    if (route.public) {
      expect(GUARD_CODES, `${where} is public`).not.to.include(errorCode(r));
    } else if (expectCode === null) {
      expect(GUARD_CODES, `${where} with a valid session`).not.to.include(errorCode(r));
    } else {
      expect(r.status, where).to.equal(401);
      expect(errorCode(r), where).to.equal(expectCode);
    }
    seen.push(where);
  }
  return { routes, seen };
}

describe('authentication: every owner route refuses anonymous callers unless public', function () {
  this.timeout(60_000);
  let n: AuthNode;

  before(async () => {
    n = await startAuthNode({
      config: {
        plugins: { dirs: [PLUGINS, FIXTURE_PLUGINS], hotReload: false },
        modules: { authentication: { scryptLog2N: 10, webauthn: { enabled: true } } },
      },
    });
  });
  after(async () => n?.stop());

  it('the walk covers kernel and plugin routes, public ones included', () => {
    const routes = registeredApiRoutes(n.t.node);
    const owners = new Set(routes.map((r) => r.owner));
    expect([...owners]).to.include.members(['kernel', 'authentication', 'monitoring', 'messaging', 'echo']);
    expect(routes.filter((r) => r.public).map((r) => r.path)).to.include.members([
      '/api/auth/status',
      '/api/auth/login',
      '/api/auth/setup',
    ]);
    expect(routes.some((r) => r.owner === 'kernel' && r.path === '/api/peers/connect')).to.equal(true);
  });

  it('before setup: OR_ERR_AUTH_NOT_CONFIGURED everywhere but public routes', async () => {
    await walk(n, undefined, 'OR_ERR_AUTH_NOT_CONFIGURED');
  });

  it('after setup: no credentials, an unknown token, or a revoked one are refused; a session gets through', async () => {
    const owner = await setupOwner(n);
    await walk(n, undefined, 'OR_ERR_AUTH_REQUIRED');
    await walk(n, 'ors_' + 'B'.repeat(43), 'OR_ERR_SESSION_INVALID');
    const { seen } = await walk(n, owner.token, null);
    expect(seen.length).to.be.greaterThan(20);
    // Logging out is itself an owner route; afterwards the token is refused everywhere.
    const logout = await n.api('POST', '/api/auth/logout', { token: owner.token });
    expect(logout.status).to.equal(200);
    await walk(n, owner.token, 'OR_ERR_SESSION_REVOKED');
  });

  it('/metrics (outside /api) needs the scrape token or an owner session', async () => {
    const r = await n.api('GET', '/metrics');
    expect(r.status).to.equal(401);
    expect(errorCode(r)).to.equal('OR_ERR_METRICS_AUTH');
  });
});

describe('owner API without the authentication module', function () {
  this.timeout(30_000);

  it('fails closed (OR_ERR_OWNER_AUTH_UNAVAILABLE) unless the operator opted out', async () => {
    const n = await startAuthNode({
      config: {
        plugins: { dirs: [PLUGINS, FIXTURE_PLUGINS], hotReload: false },
        modules: { authentication: { enabled: false } },
      },
    });
    try {
      await walk(n, undefined, 'OR_ERR_OWNER_AUTH_UNAVAILABLE');
    } finally {
      await n.stop();
    }
  });

  it('with the explicit opt-out, owner routes answer anonymous callers', async () => {
    const { Workspace, startNode } = await import('../../helpers/node-harness.js');
    const ws = await Workspace.create();
    const t = await startNode(ws, {
      anonymousOwnerApi: true,
      config: { plugins: { dirs: [FIXTURE_PLUGINS], hotReload: false } },
    });
    try {
      expect((await t.request('api', '/api/node/status')).status).to.equal(200);
      expect((await t.request('api', '/api/echo/count')).json).to.deep.equal({ received: 0 });
    } finally {
      await t.stop();
      await ws.cleanup();
    }
  });
});
