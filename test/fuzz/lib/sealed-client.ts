/**
 * Speaks the session layer from node A's side with A's own transport keys, so the fuzzer can seal any
 * plaintext it likes (valid envelopes around hostile content) and open B's sealed answers to judge what
 * the plugin really answered. Both wire forms are used: the JSON envelope (body, or header for GET/DELETE)
 * and the binary envelope (epoch and counter, then ciphertext and tag, as the body).
 */
import { toB64u } from '../../../core/crypto/encoding.js';
import type { PeerSession } from '../../../core/p2p/sessions/peer-session.js';
import {
  ENVELOPE_HEADER,
  SEALED_HEADER,
  SEALED_TYPE,
  SESSION_HEADER,
  STATUS_HEADER,
  binaryRequestAad,
  isSealedType,
  rawResponseAad,
  requestAad,
  responseAad,
} from '../../../core/p2p/sessions/wire.js';
import { binaryEnvelope, readBinaryEnvelope } from '../../helpers/binary-envelope.js';
import type { Answer, Probe } from './http-probe.js';

export type WireForm = 'json' | 'binary';

export interface SealedRequest {
  probe: Probe;
  /** The request counter, which the answer's AAD binds. */
  counter: string;
}

/** What B answered, once opened: a JSON plaintext `{s, b}`, or bytes whose content only the plugin checks. */
export type OpenedAnswer = { status: number; text: string } | { status: number; opaque: true };

export class SealedClient {
  constructor(private readonly session: PeerSession) {}

  get sessionId(): string {
    return this.session.id;
  }

  seal(method: string, path: string, plaintext: Buffer, form: WireForm): SealedRequest {
    const t = this.session.transport;
    const headers: Record<string, string> = { [SESSION_HEADER]: this.session.id };
    if (form === 'binary') {
      const raw = t.sealRaw(plaintext, binaryRequestAad(method, path));
      headers['content-type'] = SEALED_TYPE;
      return {
        probe: { method, path, headers, body: binaryEnvelope(raw.e, raw.n, raw.ct) },
        counter: raw.n.toString(),
      };
    }
    const env = t.seal(plaintext, requestAad(method, path));
    if (method === 'GET' || method === 'DELETE') {
      headers[ENVELOPE_HEADER] = toB64u(Buffer.from(JSON.stringify(env)));
      return { probe: { method, path, headers }, counter: String(env.n) };
    }
    headers['content-type'] = 'application/json';
    return { probe: { method, path, headers, body: JSON.stringify(env) }, counter: String(env.n) };
  }

  /** Opens a sealed answer; undefined when the answer is not sealed (refused before the session layer). */
  open(answer: Answer, method: string, path: string, counter: string): OpenedAnswer | undefined {
    const t = this.session.transport;
    const contentType = answer.headers['content-type'];
    if (answer.headers[SEALED_HEADER] === undefined && isSealedType(String(contentType ?? ''))) {
      const envelope = readBinaryEnvelope(answer.body);
      return envelope && inner(t.openRaw(envelope, rawResponseAad(method, path, counter)));
    }
    switch (answer.headers[SEALED_HEADER]) {
      case '1': {
        const plain = t.open(JSON.parse(answer.body.toString('utf8')), responseAad(method, path, counter));
        return inner(plain);
      }
      case 'bin':
        return { status: Number(answer.headers[STATUS_HEADER]), opaque: true };
      case 'pre':
        return { status: answer.status, opaque: true };
      default:
        return undefined;
    }
  }
}

function inner(plain: Buffer): OpenedAnswer {
  const reply = JSON.parse(plain.toString('utf8')) as { s: number; b?: unknown };
  return { status: reply.s, text: reply.b === undefined ? '' : JSON.stringify(reply.b) };
}
