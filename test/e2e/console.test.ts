/**
 * The web console end to end, in Debian's headless Chromium against real node processes: log in with
 * password + TOTP on two nodes, connect them, send a message on A and watch it arrive live on B, share a file
 * from A (uploaded through the browser), download and verify it on B, revoke the link, look at the node
 * page, and log in with a (virtual) security key. Each page is saved as a screenshot under
 * test-results/console/.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { chromiumAvailable, CHROMIUM, launchBrowser, type Browser } from './browser.js';
import { PASSWORD, startCommunity, type Community } from './community.js';
import { ConsolePage } from './console-page.js';

describe('web console in a real browser (two nodes and a directory)', function () {
  this.timeout(60_000);
  let community: Community | undefined;
  let browser: Browser | undefined;
  let a: ConsolePage;
  let b: ConsolePage;

  before(async function () {
    this.timeout(90_000);
    if (!chromiumAvailable()) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
    [community, browser] = await Promise.all([startCommunity(), launchBrowser()]);
  });

  after(async function () {
    this.timeout(30_000);
    await browser?.close();
    await community?.stop();
  });

  it('logs in on both nodes with password and TOTP (keyboard only); a wrong code is refused', async () => {
    a = await ConsolePage.open(browser!.context, community!.a);
    await a.page.getByLabel('Password').waitFor();
    await a.screenshot('login');
    await a.logIn();
    b = await ConsolePage.open(browser!.context, community!.b);
    await b.page.getByLabel('Password').fill(PASSWORD);
    await b.page.getByLabel('Code from your authenticator app').fill('000000');
    await b.page.getByRole('button', { name: 'Log in', exact: true }).click();
    await b.page.getByRole('alert').filter({ hasText: 'OR_ERR_AUTH_INVALID' }).waitFor();
    await b.logIn();
    expect(await a.page.getByTestId('self-id').getAttribute('data-node-id')).to.equal(community!.a.id);
  });

  it('peers: lists directory members, connects, shows the session', async () => {
    const peerB = community!.b.id;
    await a.go('Peers');
    const directory = a.page.getByRole('region', { name: 'Directory' });
    await directory.getByRole('button', { name: `Connect to ${peerB}` }).click();
    await a.page
      .getByRole('status')
      .filter({ hasText: `Connected to ${peerB}` })
      .waitFor();
    const sessions = a.page.getByRole('region', { name: 'My sessions' });
    await sessions.getByRole('row').filter({ hasText: peerB }).waitFor();
    await a.screenshot('peers');
  });

  it('messages: sent on A, arrives live on B, shown delivered on A', async () => {
    const [idA, idB] = [community!.a.id, community!.b.id];
    await b.go('Messages');
    await b.page.getByRole('button', { name: new RegExp(`^Conversation with ${idA}`) }).click();
    await b.page.getByText('Live: new messages appear as they arrive.').waitFor();
    // Marks this document: if the message showed up because the page reloaded, the mark would be gone.
    await b.page.evaluate('window.mark = 42');

    await a.go('Messages');
    await a.page.getByRole('button', { name: new RegExp(`^Conversation with ${idB}`) }).click();
    await a.page.getByText('Live: new messages appear as they arrive.').waitFor();
    const text = `hello from A ${randomBytes(4).toString('hex')}`;
    await a.page.getByRole('textbox', { name: 'Message' }).fill(text);
    await a.page.getByRole('button', { name: 'Send' }).click();

    await b.page.getByRole('log', { name: 'Messages' }).getByText(text).waitFor();
    expect(await b.page.evaluate('window.mark')).to.equal(42);
    const sent = a.page
      .getByRole('log', { name: 'Messages' })
      .getByRole('listitem')
      .filter({ hasText: text });
    await sent.getByText('delivered').waitFor();
    await a.screenshot('messages');
    await b.screenshot('messages-received');
  });

  it('files: upload and share on A, download and verify on B, revoke', async () => {
    const content = randomBytes(3 * 1024 * 1024 + 123);
    await a.go('Files');
    const share = a.page.getByRole('region', { name: 'Share a file' });
    await share
      .getByLabel('File', { exact: true })
      .setInputFiles({ name: 'report.bin', mimeType: 'application/octet-stream', buffer: content });
    await share.getByLabel('Share with').selectOption(community!.b.id);
    await share.getByLabel('Downloads allowed').fill('2');
    await share.getByRole('button', { name: 'Upload and share' }).click();
    const linkBox = share.getByLabel('Link', { exact: true });
    await linkBox.waitFor();
    const link = await linkBox.inputValue();
    expect(link).to.match(/^openred:\/\//);

    await b.go('Files');
    await b.page.getByRole('region', { name: 'Download a link' }).getByLabel('Link').fill(link);
    await b.page.getByRole('button', { name: 'Download', exact: true }).click();
    const row = b.page
      .getByRole('region', { name: 'Downloads' })
      .getByRole('row')
      .filter({ hasText: 'report.bin' });
    await row.getByText('SHA-256 verified').waitFor({ timeout: 30_000 });
    const saved = await readFile(join(community!.b.dataDir, 'downloads', 'report.bin'));
    expect(sha256(saved)).to.equal(sha256(content));
    await b.screenshot('files-download');

    const links = a.page.getByRole('region', { name: 'Links' });
    const linkRow = links.getByRole('row').filter({ hasText: 'report.bin' });
    await linkRow.getByText('1 / 2').waitFor({ timeout: 10_000 });
    await a.screenshot('files');
    await linkRow.getByRole('button', { name: 'Revoke the link to report.bin' }).click();
    await linkRow.getByText('revoked').waitFor();

    await b.page.getByRole('region', { name: 'Download a link' }).getByLabel('Link').fill(link);
    await b.page.getByRole('button', { name: 'Download', exact: true }).click();
    await b.page.getByRole('alert').filter({ hasText: 'OR_ERR_LINK_REVOKED' }).waitFor();
  });

  it('node: plugins, health with the isolation level, charts, verified audit log; a plugin off and on', async () => {
    await a.go('Node');
    const p = a.page;
    await p.getByTestId('isolation').getByText('inline').waitFor();
    await p.getByRole('status').filter({ hasText: 'Verified:' }).waitFor();
    await p.getByRole('img', { name: /^Requests: now/ }).waitFor();
    const plugins = p.getByRole('region', { name: 'Plugins' });
    await plugins.getByRole('row').filter({ hasText: 'console' }).getByText('active').waitFor();
    await a.screenshot('node');

    const files = plugins.getByRole('row').filter({ hasText: 'file-sharing' });
    await files.getByRole('button', { name: 'Disable file-sharing' }).click();
    await files.getByText('disabled').waitFor();
    await files.getByRole('button', { name: 'Enable file-sharing' }).click();
    await files.getByText('active').waitFor();
  });

  it('security key: added on the node page, then used to log in instead of the code', async () => {
    await a.addVirtualAuthenticator();
    await a.go('Node');
    const owner = a.page.getByRole('region', { name: 'Owner login' });
    await owner.getByRole('button', { name: 'Add a security key' }).click();
    await owner.getByRole('status').filter({ hasText: 'Security key added' }).waitFor();
    await a.page.getByRole('button', { name: 'Log out' }).click();
    await a.page.getByLabel('Password').fill(PASSWORD);
    await a.page.getByRole('button', { name: 'Log in with a security key' }).click();
    await a.go('Node');
    await a.page.getByText('Logged in with password+webauthn').waitFor();
  });

  it('fits a phone-sized screen: no page scrolls sideways at 320 px', async () => {
    await a.page.setViewportSize({ width: 320, height: 720 });
    for (const section of ['Peers', 'Files', 'Node', 'Messages'] as const) {
      await a.go(section);
      const overflow = await a.page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow, section).to.be.at.most(0);
    }
    await a.page.setViewportSize({ width: 390, height: 844 });
    await a.page.getByRole('button', { name: new RegExp(`^Conversation with ${community!.b.id}`) }).click();
    await a.page.getByRole('log', { name: 'Messages' }).getByRole('listitem').first().waitFor();
    await a.screenshot('messages-phone');
  });

  it('raised no Content-Security-Policy violation and no script error', () => {
    expect([...a.problems, ...b.problems]).to.deep.equal([]);
  });
});

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
