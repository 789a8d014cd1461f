import { expect } from 'chai';
import fc from 'fast-check';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveShareSource, sanitizeName } from '../paths.js';
import { formatLink, parseLink } from '../link.js';

/** Names built from the characters that matter, plus arbitrary text. */
const hostileNames = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({
    unit: fc.constantFrom('.', '..', '/', '\\', '\0', '\n', ' ', ':', '<', 'a', 'Z', 'é', '𝄞', 'CON', 'nul'),
    maxLength: 150,
  }),
);

describe('file-sharing: names, paths and links', () => {
  it('sanitizes hostile names into one safe component', () => {
    const cases: Array<[string, string]> = [
      ['report.pdf', 'report.pdf'],
      ['../../etc/passwd', 'passwd'],
      ['..\\..\\boot.ini', 'boot.ini'],
      ['/abs/path/x.txt', 'x.txt'],
      ['.bashrc', '_bashrc'],
      ['..', 'download'],
      ['.', 'download'],
      ['', 'download'],
      ['a\u0000b\nc', 'a_b_c'],
      ['CON', '_CON'],
      ['nul.txt', '_nul.txt'],
      ['what?<>|*:"', 'what_______'],
      ['trailing. . ', 'trailing'],
    ];
    for (const [raw, safe] of cases) expect(sanitizeName(raw), JSON.stringify(raw)).to.equal(safe);
    expect(Buffer.byteLength(sanitizeName('é'.repeat(300) + '.tar.gz'))).to.be.at.most(200);
    expect(sanitizeName('é'.repeat(300) + '.gz').endsWith('.gz')).to.equal(true);
  });

  it('never yields a separator, a NUL, a leading dot, an empty name or more than 200 bytes', () => {
    fc.assert(
      fc.property(hostileNames, (raw) => {
        const s = sanitizeName(raw);
        return (
          s.length > 0 &&
          !s.includes('/') &&
          !s.includes('\\') &&
          !s.includes('\0') &&
          !s.startsWith('.') &&
          s !== '..' &&
          Buffer.byteLength(s) <= 200
        );
      }),
      { numRuns: 300 },
    );
  });

  it('resolves share paths only inside the share folder', async () => {
    const root = await mkdtemp(join(tmpdir(), 'openred-share-'));
    try {
      const share = join(root, 'share');
      await mkdir(join(share, 'sub'), { recursive: true });
      await writeFile(join(share, 'sub', 'a.txt'), 'a');
      await writeFile(join(root, 'secret'), 's');
      await symlink(join(root, 'secret'), join(share, 'out'));
      await symlink(join(share, 'sub', 'a.txt'), join(share, 'in'));
      expect(await resolveShareSource(share, 'sub/a.txt')).to.match(/share\/sub\/a\.txt$/);
      expect(await resolveShareSource(share, 'in')).to.match(/share\/sub\/a\.txt$/);
      const refused: Array<[string, string]> = [
        ['out', 'OR_ERR_PATH_OUTSIDE_SHARE'],
        ['../secret', 'OR_ERR_PATH_TRAVERSAL'],
        ['sub/../../secret', 'OR_ERR_PATH_TRAVERSAL'],
        [join(root, 'secret'), 'OR_ERR_PATH_ABSOLUTE'],
        ['sub', 'OR_ERR_NOT_A_FILE'],
        ['nothing', 'OR_ERR_SOURCE_NOT_FOUND'],
        ['', 'OR_ERR_PATH_INVALID'],
      ];
      for (const [path, code] of refused) {
        try {
          await resolveShareSource(share, path);
          expect.fail(`accepted ${path}`);
        } catch (err) {
          expect((err as { code: string }).code, path).to.equal(code);
        }
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('formats and parses links; anything else is OR_ERR_BAD_LINK', () => {
    const node = 'or' + 'k'.repeat(32);
    const link = formatLink(node, 'A'.repeat(24));
    expect(parseLink(link)).to.deep.equal({ node, fileId: 'A'.repeat(24) });
    for (const bad of [
      '',
      'openred://x/file/y',
      `openred://${node}/file/short`,
      `https://${node}/file/${'A'.repeat(24)}`,
    ]) {
      expect(() => parseLink(bad), bad)
        .to.throw()
        .with.property('code', 'OR_ERR_BAD_LINK');
    }
  });
});
