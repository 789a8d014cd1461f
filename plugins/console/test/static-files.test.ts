import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createTestNode } from '@openred/plugin-sdk/testing';

const pluginDir = fileURLToPath(new URL('..', import.meta.url));

describe('console: static files', function () {
  this.timeout(30_000);

  it('serves index.html uncached and hashed assets immutable, both under a strict CSP, without a login', async () => {
    const t = await createTestNode({ pluginDir, anonymousOwner: false });
    try {
      const index = await t.owner.get<string>('/console');
      expect(index.status).to.equal(200);
      expect(index.headers.get('content-type')).to.match(/^text\/html/);
      expect(index.headers.get('cache-control')).to.equal('no-cache');
      const csp = index.headers.get('content-security-policy') ?? '';
      expect(csp).to.include("default-src 'self'").and.include("script-src 'self'");
      expect(csp).not.to.include('unsafe-inline');
      expect(index.headers.get('x-content-type-options')).to.equal('nosniff');
      expect((await t.owner.get('/console/')).status).to.equal(200);

      const assets = [...index.body.matchAll(/\/api\/console\/assets\/([A-Za-z0-9._-]+)/g)].map((m) => m[1]!);
      expect(assets.some((a) => /^app-[A-Z0-9]+\.js$/.test(a))).to.equal(true);
      expect(assets.some((a) => /^app-[A-Z0-9]+\.css$/.test(a))).to.equal(true);
      expect(index.body).not.to.match(/<script>|<style|style=/); // nothing inline

      for (const name of assets) {
        const asset = await t.owner.get(`/console/assets/${name}`);
        expect(asset.status, name).to.equal(200);
        expect(asset.headers.get('cache-control')).to.equal('public, max-age=31536000, immutable');
        expect(asset.headers.get('content-security-policy')).to.equal(csp);
      }
      expect((await t.owner.get('/console/assets/app-NOPE.js')).status).to.equal(404);
      expect((await t.owner.get('/console/assets/..%2Fmanifest.json')).status).to.be.oneOf([400, 404]);
    } finally {
      await t.close();
    }
  });
});
