import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../../../core/kernel/logger.js';
import { OutboundPolicy, type Resolver } from '../../../core/directory/outbound-policy.js';
import { TokenDelivery } from '../../../core/directory/delivery.js';
import type { ConnectionToken } from '../../../core/crypto/tokens/grant.js';

const fakeDns =
  (table: Record<string, string[]>): Resolver =>
  async (host) => {
    const addrs = table[host];
    if (!addrs) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
    return addrs.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

function code(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    return (err as { code: string }).code;
  }
}

async function asyncCode(p: Promise<unknown>): Promise<string | null> {
  try {
    await p;
    return null;
  } catch (err) {
    return (err as { code: string }).code;
  }
}

describe('OutboundPolicy', () => {
  describe('classify', () => {
    const cases: Array<[string, string]> = [
      ['93.184.216.34', 'public'],
      ['2606:2800:220:1:248:1893:25c8:1946', 'public'],
      ['127.0.0.1', 'loopback'],
      ['127.255.0.9', 'loopback'],
      ['::1', 'loopback'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:7f00:1', 'loopback'],
      ['10.0.0.1', 'private'],
      ['172.16.5.4', 'private'],
      ['192.168.1.1', 'private'],
      ['100.64.0.1', 'private'],
      ['::ffff:10.0.0.1', 'private'],
      ['fd00::1', 'private'],
      ['fc12:3456::1', 'private'],
      ['169.254.1.1', 'link-local'],
      ['fe80::1', 'link-local'],
      ['169.254.169.254', 'metadata'],
      ['::ffff:169.254.169.254', 'metadata'],
      ['fd00:ec2::254', 'metadata'],
      ['100.100.100.200', 'metadata'],
      ['0.0.0.0', 'special'],
      ['::', 'special'],
      ['224.0.0.1', 'special'],
      ['ff02::1', 'special'],
      ['255.255.255.255', 'special'],
      ['64:ff9b::7f00:1', 'special'],
      ['2002:7f00:1::', 'special'],
      ['192.0.2.1', 'special'],
    ];
    for (const [addr, cls] of cases) {
      it(`${addr} is ${cls}`, () => expect(OutboundPolicy.classify(addr)).to.equal(cls));
    }
  });

  describe('checkUrl (default policy: public addresses only)', () => {
    const policy = new OutboundPolicy();
    const refused = [
      'ftp://93.184.216.34/',
      'file:///etc/passwd',
      'gopher://93.184.216.34/',
      'http://127.0.0.1:7700',
      'http://127.1/',
      'http://0x7f000001/',
      'http://2130706433/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:7f00:1]/',
      'http://localhost:7700/',
      'http://api.localhost/',
      'http://LOCALHOST./',
      'http://10.0.0.1/',
      'http://192.168.0.10:8080/',
      'http://[fd00::1]/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fe80::1]/',
      'http://0.0.0.0:7700/',
      'http://[::]/',
      'http://user:pass@93.184.216.34/',
      'http://93.184.216.34/?x=1',
      'http://93.184.216.34/#frag',
      'not a url',
    ];
    for (const url of refused) {
      it(`refuses ${url}`, () =>
        expect(code(() => policy.checkUrl(url))).to.equal('OR_ERR_API_URL_FORBIDDEN'));
    }
    for (const url of [
      'http://93.184.216.34:7700',
      'https://node.example.org/openred',
      'http://[2606:2800:220:1::1]:80/',
    ]) {
      it(`accepts ${url}`, () => expect(code(() => policy.checkUrl(url))).to.equal(null));
    }
  });

  describe('operator switches', () => {
    it('allowLoopback admits loopback only', () => {
      const p = new OutboundPolicy({ allowLoopback: true });
      expect(code(() => p.checkUrl('http://127.0.0.1:1/'))).to.equal(null);
      expect(code(() => p.checkUrl('http://[::1]:1/'))).to.equal(null);
      expect(code(() => p.checkUrl('http://localhost:1/'))).to.equal(null);
      expect(code(() => p.checkUrl('http://10.0.0.1/'))).to.equal('OR_ERR_API_URL_FORBIDDEN');
    });
    it('allowPrivate admits private ranges, not metadata', () => {
      const p = new OutboundPolicy({ allowPrivate: true });
      expect(code(() => p.checkUrl('http://10.0.0.1/'))).to.equal(null);
      expect(code(() => p.checkUrl('http://[fd00::1]/'))).to.equal(null);
      expect(code(() => p.checkUrl('http://127.0.0.1/'))).to.equal('OR_ERR_API_URL_FORBIDDEN');
      expect(code(() => p.checkUrl('http://100.100.100.200/'))).to.equal('OR_ERR_API_URL_FORBIDDEN');
    });
    it('allowLinkLocal still refuses the metadata address', () => {
      const p = new OutboundPolicy({ allowLinkLocal: true });
      expect(code(() => p.checkUrl('http://169.254.10.10/'))).to.equal(null);
      expect(code(() => p.checkUrl('http://169.254.169.254/'))).to.equal('OR_ERR_API_URL_FORBIDDEN');
    });
    it('allowedCidrs admits exactly the listed ranges', () => {
      const p = new OutboundPolicy({ allowedCidrs: ['10.20.0.0/16', 'fd12::/16'] });
      expect(code(() => p.checkUrl('http://10.20.3.4/'))).to.equal(null);
      expect(code(() => p.checkUrl('http://[::ffff:10.20.3.4]/'))).to.equal(null);
      expect(code(() => p.checkUrl('http://[fd12::9]/'))).to.equal(null);
      expect(code(() => p.checkUrl('http://10.21.0.1/'))).to.equal('OR_ERR_API_URL_FORBIDDEN');
      expect(() => new OutboundPolicy({ allowedCidrs: ['nonsense'] })).to.throw(/CIDR/);
    });
    it('allowedSchemes narrows the schemes', () => {
      const p = new OutboundPolicy({ allowedSchemes: ['https'] });
      expect(code(() => p.checkUrl('http://93.184.216.34/'))).to.equal('OR_ERR_API_URL_FORBIDDEN');
      expect(code(() => p.checkUrl('https://93.184.216.34/'))).to.equal(null);
    });
  });

  describe('DNS', () => {
    const dns = fakeDns({
      'good.example': ['93.184.216.34', '2606:2800:220:1::1'],
      'lan.example': ['192.168.1.20'],
      'meta.example': ['169.254.169.254'],
      'mixed.example': ['93.184.216.34', '10.0.0.5'],
      'mapped.example': ['::ffff:127.0.0.1'],
      'ula.example': ['fd00::5'],
    });
    const policy = new OutboundPolicy({}, dns);
    for (const host of ['lan.example', 'meta.example', 'mixed.example', 'mapped.example', 'ula.example']) {
      it(`refuses a name that resolves to a forbidden address (${host})`, async () => {
        expect(await asyncCode(policy.checkUrlResolved(`http://${host}:7700`))).to.equal(
          'OR_ERR_API_URL_FORBIDDEN',
        );
      });
    }
    it('accepts a name that resolves to public addresses only', async () => {
      expect(await asyncCode(policy.checkUrlResolved('https://good.example'))).to.equal(null);
    });
    it('reports a name that does not resolve', async () => {
      expect(await asyncCode(policy.checkUrlResolved('https://nowhere.example'))).to.equal(
        'OR_ERR_API_URL_UNRESOLVABLE',
      );
    });
    it('lookup (for net.connect) answers only allowed addresses, in both call styles', async () => {
      const lookup = (host: string, all: boolean) =>
        new Promise<unknown>((resolve, reject) =>
          policy.lookup(host, { all }, (err, address, family) =>
            err ? reject(err) : resolve(all ? address : [address, family]),
          ),
        );
      expect(await lookup('good.example', false)).to.deep.equal(['93.184.216.34', 4]);
      expect(await lookup('good.example', true)).to.have.length(2);
      expect(await lookup('mixed.example', true).catch((e) => e.code)).to.equal('OR_ERR_API_URL_FORBIDDEN');
    });
  });
});

describe('TokenDelivery re-checks DNS at call time', () => {
  let server: Server;
  let port: number;
  let hits = 0;
  before(async () => {
    server = createServer((req, res) => {
      hits++;
      req.resume();
      req.on('end', () => res.writeHead(200).end('{}'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const token = { v: 1 } as unknown as ConnectionToken;
  const settings = { timeoutMs: 500, retries: 2, retryDelayMs: 1 };

  it('connects when the name resolves to an allowed address', async () => {
    const policy = new OutboundPolicy({ allowLoopback: true }, fakeDns({ 'node.test': ['127.0.0.1'] }));
    const d = new TokenDelivery(policy, settings, silentLogger());
    hits = 0;
    expect(await d.deliver(`http://node.test:${port}`, token)).to.equal(true);
    expect(hits).to.equal(1);
    await d.close();
  });

  it('refuses to connect when the name now resolves to a forbidden address (rebinding), without retrying', async () => {
    // Registered while it resolved to a public address; now it points at loopback, which this policy refuses.
    let lookups = 0;
    const counting = new OutboundPolicy({ allowLoopback: false }, async (h) => {
      lookups++;
      return fakeDns({ 'node.test': ['127.0.0.1'] })(h);
    });
    const d = new TokenDelivery(counting, settings, silentLogger());
    hits = 0;
    expect(await d.deliver(`http://node.test:${port}`, token)).to.equal(false);
    expect(hits).to.equal(0);
    expect(lookups).to.equal(1);
    await d.close();
  });

  it('refuses a literal address the policy forbids before connecting', async () => {
    const d = new TokenDelivery(new OutboundPolicy(), settings, silentLogger());
    hits = 0;
    expect(await d.deliver(`http://127.0.0.1:${port}`, token)).to.equal(false);
    expect(hits).to.equal(0);
    await d.close();
  });
});
