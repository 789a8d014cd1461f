/**
 * The console's files, held in memory and answered with the headers a static single-page app needs:
 * hashed assets are immutable (their name changes with their content), `index.html` is revalidated on every
 * load, and every answer carries a strict Content-Security-Policy (scripts, styles and connections from this
 * origin only; no inline code, no framing).
 */
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Bundle } from './bundle.js';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

export interface StaticFile {
  body: Buffer;
  headers: Record<string, string>;
}

export interface StaticAssets {
  index: StaticFile;
  asset(name: string): StaticFile | undefined;
}

export async function loadAssets(bundle: Bundle): Promise<StaticAssets> {
  const assets = new Map<string, StaticFile>();
  for (const name of bundle.manifest.assets) {
    assets.set(name, {
      body: await readFile(join(bundle.dir, 'assets', name)),
      headers: {
        ...SECURITY_HEADERS,
        'Content-Type': TYPES[extname(name)] ?? 'application/octet-stream',
        'Cache-Control': 'public, max-age=31536000, immutable',
      },
    });
  }
  return {
    index: {
      body: Buffer.from(bundle.manifest.index),
      headers: {
        ...SECURITY_HEADERS,
        'Content-Type': 'text/html; charset=utf-8',
        'Cache-Control': 'no-cache',
      },
    },
    asset: (name) => assets.get(name),
  };
}
