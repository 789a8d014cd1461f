import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { checkCipher, createTestNode } from '@openred/plugin-sdk/testing';
import { method } from '../src/method.js';
import { vectors } from '../src/vectors.js';

const pluginDir = fileURLToPath(new URL('..', import.meta.url));

describe('{{pluginName}}', () => {
  it('passes the conformance gate', () => {
    expect(() => checkCipher(method, vectors)).not.to.throw();
  });

  it('is refused with a wrong vector', () => {
    const wrong = vectors.map((v) => ({
      ...v,
      ciphertext: v.ciphertext.replace(/^./, (c) => (c === '0' ? '1' : '0')),
    }));
    expect(() => checkCipher(method, wrong)).to.throw(/{{pluginName}}-aes-256-gcm/);
  });

  it('registers on a node', async () => {
    const t = await createTestNode({ pluginDir });
    try {
      expect(t.status()?.state, t.status()?.lastError ?? '').to.equal('active');
      // @if api
      const res = await t.owner.get<{ id: string }>('/{{pluginName}}/method');
      expect(res.body.id).to.equal(method.id);
      // @endif
    } finally {
      await t.close();
    }
  });
});
