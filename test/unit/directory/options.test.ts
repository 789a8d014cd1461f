import { expect } from 'chai';
import { ajv } from '../../../core/http/validation.js';
import { directoryOptionsSchema, resolveDirectoryOptions } from '../../../core/directory/options.js';

describe('directory options', () => {
  it('fills every default', () => {
    const o = resolveDirectoryOptions();
    expect(o).to.deep.include({
      port: 7600,
      host: '127.0.0.1',
      store: 'lowdb',
      requireSignedDiscover: true,
      keyDir: '.data/directory',
      maxClockSkewSeconds: 60,
      defaultSuite: '25519_ChaChaPoly_SHA256',
    });
    expect(o.outbound).to.deep.equal({
      allowedSchemes: ['http', 'https'],
      allowPrivate: false,
      allowLoopback: false,
      allowLinkLocal: false,
      allowedCidrs: [],
      checkDnsOnRegister: true,
    });
    expect(o.presence).to.deep.equal({ activeSeconds: 90, offlineSeconds: 300, retentionSeconds: 604800 });
    expect(o.rateLimits.perAddress).to.deep.equal({ perSecond: 20, burst: 60 });
    expect(o.limits).to.deep.include({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
    });
  });

  it('does not modify its input', () => {
    const input = { outbound: { allowLoopback: true } };
    resolveDirectoryOptions(input);
    expect(input).to.deep.equal({ outbound: { allowLoopback: true } });
  });

  it('lists every problem, including cross-field rules', () => {
    try {
      resolveDirectoryOptions({
        port: 70000,
        store: 'mysql' as never,
        presence: { activeSeconds: 100, offlineSeconds: 50, retentionSeconds: 60 },
        bogus: true,
      } as never);
      expect.fail('accepted');
    } catch (err) {
      const problems = (err as { problems: string[] }).problems;
      expect(problems.join('\n'))
        .to.match(/port/)
        .and.match(/store/)
        .and.match(/bogus is not allowed/);
    }
    expect(() =>
      resolveDirectoryOptions({
        presence: { activeSeconds: 100, offlineSeconds: 50, retentionSeconds: 600 },
      }),
    ).to.throw(/offlineSeconds must be >= activeSeconds/);
    expect(() =>
      resolveDirectoryOptions({ maxClockSkewSeconds: 600, presence: { retentionSeconds: 1000 } }),
    ).to.throw(/twice maxClockSkewSeconds/);
    expect(() =>
      resolveDirectoryOptions({
        delivery: { timeoutMs: 20_000, retries: 2 },
        limits: { handlerTimeoutMs: 30_000 },
      }),
    ).to.throw(/worst case/);
    expect(() =>
      resolveDirectoryOptions({ outbound: { allowedCidrs: ['10.0.0.0/8', '10.0.0.1'] } }),
    ).to.throw(/10.0.0.1 is not a CIDR range/);
  });

  it('the schema embeds in another draft-07 schema (as the kernel config does)', () => {
    const validate = ajv.compile({
      type: 'object',
      properties: { directory: { type: 'object', properties: { embedded: directoryOptionsSchema } } },
    });
    const config = { directory: { embedded: { port: 0 } } } as {
      directory: { embedded: Record<string, unknown> };
    };
    expect(validate(config)).to.equal(true);
    expect(config.directory.embedded.store).to.equal('lowdb');
    expect(validate({ directory: { embedded: { allowLoopback: true } } })).to.equal(false);
  });
});
