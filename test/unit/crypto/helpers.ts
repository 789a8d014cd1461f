/** Shared fixtures for the crypto tests: nodes, a directory, temp folders, vector files. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../core/kernel/clock.js';
import { toB64u } from '../../../core/crypto/encoding.js';
import { deriveNodeId, generateNodeKeys, type NodeKeyPair } from '../../../core/crypto/identity.js';
import { rawPublicKey } from '../../../core/crypto/keys.js';
import { issueTokenPair, type TokenPair } from '../../../core/crypto/tokens/issue.js';
import type { NoiseSuite } from '../../../core/crypto/tokens/grant.js';

export const VECTORS = '/work/shared/vectors';

/** Cheap scrypt for tests (production default is N = 2^15). */
export const TEST_SCRYPT = { N: 1024, r: 8, p: 1, maxmem: 16 * 1024 ** 2 };

export function readVectors<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(join(VECTORS, name), 'utf8')) as T;
}

export const hex = (s: string): Buffer => Buffer.from(s, 'hex');

export interface TestNode extends NodeKeyPair {
  id: string;
}

export function makeNode(): TestNode {
  const k = generateNodeKeys();
  return { ...k, id: deriveNodeId(k.publicKeys) };
}

export interface TestDirectory {
  privateKey: KeyObject;
  publicKey: string;
}

export function makeDirectory(): TestDirectory {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey: toB64u(rawPublicKey(privateKey)) };
}

export function newClock(): ManualClock {
  return new ManualClock(Date.UTC(2026, 0, 1, 10, 0, 0));
}

export async function issue(
  dir: TestDirectory,
  a: TestNode,
  b: TestNode,
  clock: ManualClock,
  suite: NoiseSuite = '25519_ChaChaPoly_SHA256',
  ttlSeconds = 300,
): Promise<TokenPair> {
  return issueTokenPair({
    directoryKey: dir.privateKey,
    initiator: { nodeId: a.id, keys: a.publicKeys },
    responder: { nodeId: b.id, keys: b.publicKeys },
    suite,
    ttlSeconds,
    epochSeconds: 3600,
    clock,
  });
}

/** A fresh temp folder removed by the returned cleanup function. */
export function tempDir(prefix = 'openred-crypto-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `fn` and returns the error it throws (fails the test when it does not throw). */
export async function caught(fn: () => unknown): Promise<Error & { code?: string }> {
  try {
    await fn();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected an error');
}
