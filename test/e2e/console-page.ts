/** Driving one node's console in a browser tab: open, log in, switch pages, take screenshots. */
import { mkdir, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { repoRoot } from '../helpers/node-harness.js';
import { nextTotpCode, PASSWORD, type ConsoleNode } from './community.js';

export const SCREENSHOTS = join(repoRoot, 'test-results', 'console');
/** With OPENRED_DOC_SCREENSHOTS=1 the screenshots also replace the ones docs/console.md shows. */
const DOC_SCREENSHOTS = join(repoRoot, 'docs', 'console');

export class ConsolePage {
  /** Problems the page reported: CSP violations, script errors, failed requests for console files. */
  readonly problems: string[] = [];

  private constructor(
    readonly page: Page,
    readonly node: ConsoleNode,
  ) {
    // Failed API calls also log errors (a 404, a refused link): only policy violations count here.
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) {
        this.problems.push(`console: ${m.text()}`);
      }
    });
    page.on('pageerror', (e) => this.problems.push(`page error: ${e.message}`));
  }

  static async open(context: BrowserContext, node: ConsoleNode): Promise<ConsolePage> {
    const page = await context.newPage();
    const c = new ConsolePage(page, node);
    await page.goto(node.consoleUrl);
    return c;
  }

  /** Password, then the TOTP code, submitted with the keyboard (Enter). */
  async logIn(): Promise<void> {
    const p = this.page;
    await p.getByLabel('Password').fill(PASSWORD);
    await p.getByLabel('Password').press('Tab');
    await p.keyboard.press('Control+A'); // whatever an earlier attempt left there
    await p.keyboard.type(nextTotpCode(this.node.secret));
    await p.keyboard.press('Enter');
    await p.getByRole('navigation', { name: 'Console sections' }).waitFor();
  }

  /** Chromium throttles background tabs (timers, frames): act on the tab in front. */
  async go(section: 'Peers' | 'Messages' | 'Files' | 'Node'): Promise<void> {
    await this.page.bringToFront();
    await this.page.getByRole('navigation').getByRole('link', { name: section }).click();
    await this.page.getByRole('heading', { level: 1, name: section }).waitFor();
  }

  /** Gives this tab Chromium's virtual authenticator (a security key that answers without a touch). */
  async addVirtualAuthenticator(): Promise<void> {
    const cdp = await this.page.context().newCDPSession(this.page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'usb',
        hasResidentKey: false,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
  }

  async screenshot(name: string): Promise<void> {
    await mkdir(SCREENSHOTS, { recursive: true });
    const file = join(SCREENSHOTS, `${name}.png`);
    await this.page.screenshot({ path: file, fullPage: true });
    if (process.env.OPENRED_DOC_SCREENSHOTS === '1') {
      await mkdir(DOC_SCREENSHOTS, { recursive: true });
      await copyFile(file, join(DOC_SCREENSHOTS, `${name}.png`));
    }
  }
}
