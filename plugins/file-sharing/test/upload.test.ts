import { expect } from 'chai';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { receiveUpload } from '../upload.js';

describe('file-sharing: uploads into the share folder', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openred-upload-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const body = (text: string) => Readable.from([Buffer.from(text)]);

  it('stores the bytes under a safe name, never replacing an existing file', async () => {
    expect(await receiveUpload(body('one'), dir, 'notes.txt', 100, 3)).to.deep.equal({
      path: 'notes.txt',
      size: 3,
    });
    expect((await receiveUpload(body('two'), dir, 'notes.txt', 100, undefined)).path).to.equal(
      'notes (1).txt',
    );
    expect((await receiveUpload(body('x'), dir, '../../etc/passwd', 100, 1)).path).to.equal('passwd');
    expect((await receiveUpload(body('y'), dir, '.hidden', 100, 1)).path).to.equal('_hidden');
    expect(await readFile(join(dir, 'notes.txt'), 'utf8')).to.equal('one');
    expect(await readFile(join(dir, 'notes (1).txt'), 'utf8')).to.equal('two');
  });

  it('refuses files above the limit and short bodies, leaving nothing behind', async () => {
    const tooLarge = await receiveUpload(body('0123456789'), dir, 'big.bin', 5, undefined).catch((e) => e);
    expect(tooLarge).to.include({ code: 'OR_ERR_FILE_TOO_LARGE', status: 413 });
    const declared = await receiveUpload(body('0'), dir, 'big.bin', 5, 9).catch((e) => e);
    expect(declared).to.include({ code: 'OR_ERR_FILE_TOO_LARGE' });
    const short = await receiveUpload(body('012'), dir, 'cut.bin', 5, 4).catch((e) => e);
    expect(short).to.include({ code: 'OR_ERR_UPLOAD_INCOMPLETE', status: 400 });
    expect(await readdir(dir)).to.deep.equal([]);
  });
});
