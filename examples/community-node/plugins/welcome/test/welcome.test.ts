import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createTestPair } from '@openred/plugin-sdk/testing';

const pluginDir = fileURLToPath(new URL('..', import.meta.url));

describe('welcome (example community plugin)', () => {
  it('lets one member sign another’s guest book', async () => {
    const { alice, bob, close } = await createTestPair({ pluginDir, config: { message: 'Hello neighbour' } });
    try {
      const visit = await alice.owner.post<{ message: string }>('/welcome/visit', {
        member: bob.id,
        note: 'hi!',
      });
      expect(visit.status).to.equal(200);
      expect(visit.body.message).to.equal('Hello neighbour');
      const book = await bob.owner.get<{ entries: Array<{ member: string; note: string; at: number }> }>(
        '/welcome/guest-book',
      );
      expect(book.body.entries).to.deep.equal([
        { member: alice.id, note: 'hi!', at: book.body.entries[0]!.at },
      ]);
    } finally {
      await close();
    }
  });
});
