import { expect } from 'chai';
import { IdDirectory, hashId } from '../id-directory.js';

describe('messaging: id directory', () => {
  it('finds every id in its location and nowhere else (ids confirmed by the caller)', () => {
    const shards = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];
    const directory = new IdDirectory<{ name: string }>();
    for (let i = 0; i < 3000; i++) directory.add(`id-${i}`, shards[i % 3]!);
    for (let i = 0; i < 3000; i++) {
      expect(directory.candidates(`id-${i}`)).to.include(shards[i % 3]);
    }
    // Unknown ids are rarely candidates anywhere: 3000 32-bit hashes make a collision very unlikely.
    const strays = [...Array(1000).keys()].filter((i) => directory.candidates(`other-${i}`).length > 0);
    expect(strays.length).to.be.below(3);
  });

  it('an id added twice to a location is listed once', () => {
    const shard = {};
    const directory = new IdDirectory<object>();
    directory.add('x', shard);
    directory.add('x', shard);
    expect(directory.candidates('x')).to.deep.equal([shard]);
  });

  it('hashes with 32-bit FNV-1a (known answers)', () => {
    expect(hashId('')).to.equal(0x811c9dc5);
    expect(hashId('a')).to.equal(0xe40c292c);
    expect(hashId('foobar')).to.equal(0xbf9cf968);
  });
});
