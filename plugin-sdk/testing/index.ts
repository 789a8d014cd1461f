/**
 * @openred/plugin-sdk/testing — run a plugin under test on real in-process nodes.
 *
 * @example
 * import { createTestPair } from '@openred/plugin-sdk/testing';
 * import plugin from '../src/index.js';
 *
 * const { alice, bob, close } = await createTestPair({ plugin });
 * const res = await alice.request(bob, 'POST', '/hello', { text: 'hi' });
 * await close();
 */
import { checkConformance } from '@openred/core/crypto';
import type { CipherMethod, CipherVector } from '../ciphers.js';

export { ManualClock } from '@openred/core';
export { createTestNode, createTestPair, createTestCommunity } from './test-node.js';
export type { TestNode, TestNodeOptions, TestCommunity, StorageInspector } from './test-node.js';
export { OwnerClient, type OwnerResponse } from './owner-client.js';
export { captureEvents, type CapturedEvents } from './event-capture.js';

/**
 * Runs the registry's conformance gate on a cipher method (known-answer vectors, round trip, tamper
 * rejection) and throws what the node would report. Lets a cipher plugin test its method without a node.
 */
export function checkCipher(method: CipherMethod, vectors: CipherVector[]): void {
  checkConformance(method as Parameters<typeof checkConformance>[0], vectors);
}
