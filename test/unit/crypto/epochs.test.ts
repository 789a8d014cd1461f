import { expect } from 'chai';
import { createHash } from 'node:crypto';
import {
  BUILTIN_POLICIES,
  epochOf,
  epochStartMs,
  PolicyRegistry,
  selectMethod,
  type MethodSelectionInput,
} from '../../../core/crypto/epochs.js';
import { caught } from './helpers.js';

const methods = ['aes-256-gcm', 'chacha20-poly1305', 'x-three'];
const hash = (s: string) => createHash('sha256').update(s).digest();
const input = (epoch: number, sessionHash: Uint8Array = hash('s1')): MethodSelectionInput => ({
  epoch,
  epochSeconds: 3600,
  methods,
  sessionHash,
});

describe('crypto/epochs', () => {
  it('epochOf is floor(unix seconds / epochSeconds)', () => {
    expect(epochOf(0, 3600)).to.equal(0);
    expect(epochOf(3_599_999, 3600)).to.equal(0);
    expect(epochOf(3_600_000, 3600)).to.equal(1);
    expect(epochOf(Date.UTC(2026, 0, 1), 3600)).to.equal(Date.UTC(2026, 0, 1) / 3_600_000);
    expect(epochStartMs(5, 60)).to.equal(300_000);
    expect(() => epochOf(0, 0)).to.throw();
  });

  it('fixed always picks the first negotiated method', () => {
    for (let e = 0; e < 50; e++) expect(selectMethod(BUILTIN_POLICIES.fixed!, input(e))).to.equal(methods[0]);
  });

  it('hourly is deterministic, rotates across epochs, and differs between sessions', () => {
    const seq = (h: Uint8Array) =>
      Array.from({ length: 48 }, (_, e) => selectMethod(BUILTIN_POLICIES.hourly!, input(e, h)));
    const a = seq(hash('s1'));
    expect(seq(hash('s1'))).to.deep.equal(a);
    expect(new Set(a).size).to.equal(3);
    expect(seq(hash('s2'))).to.not.deep.equal(a);
  });

  it('daily keeps one method for a whole UTC day of hourly epochs', () => {
    const day = 24 * 1000; // epochs 24000..24023 are one day
    const first = selectMethod(BUILTIN_POLICIES.daily!, input(day));
    for (let e = day; e < day + 24; e++)
      expect(selectMethod(BUILTIN_POLICIES.daily!, input(e))).to.equal(first);
    const days = new Set(
      Array.from({ length: 30 }, (_, d) => selectMethod(BUILTIN_POLICIES.daily!, input(day + 24 * d))),
    );
    expect(days.size).to.be.greaterThan(1);
  });

  it('rejects a policy answer outside the negotiated set, and an empty set', async () => {
    expect((await caught(() => selectMethod(() => 'rot13', input(1)))).code).to.equal(
      'OR_ERR_POLICY_INVALID',
    );
    expect(
      (await caught(() => selectMethod(BUILTIN_POLICIES.fixed!, { ...input(1), methods: [] }))).code,
    ).to.equal('OR_ERR_NO_COMMON_METHOD');
  });

  it('custom policies register per owner and cannot replace built-ins', async () => {
    const reg = new PolicyRegistry();
    reg.register('odd-even', ({ epoch, methods: m }) => m[epoch % 2]!, 'plugin-p');
    expect(selectMethod(reg.get('odd-even'), input(3))).to.equal(methods[1]);
    expect((await caught(() => reg.register('hourly', () => 'x', 'plugin-p'))).code).to.equal(
      'OR_ERR_POLICY_CONFLICT',
    );
    reg.unregister('plugin-p');
    expect((await caught(() => reg.get('odd-even'))).code).to.equal('OR_ERR_POLICY_UNKNOWN');
    expect(reg.get('hourly')).to.equal(BUILTIN_POLICIES.hourly);
  });
});
