/**
 * WebAuthn as a second factor, exercised with a software authenticator (an ES256 key, "none" attestation)
 * that builds exactly what a browser hands to the page, so no browser is needed.
 */
import { expect } from 'chai';
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { errorCode, PASSWORD, setupOwner, startAuthNode, type AuthNode } from './helpers.js';

const ORIGIN = 'http://localhost:7701';
const RP_ID = 'localhost';

/** Just enough CBOR (RFC 8949) for attestation objects and COSE keys. */
function cbor(value: unknown): Buffer {
  const head = (major: number, n: number): Buffer => {
    if (n < 24) return Buffer.from([(major << 5) | n]);
    if (n < 256) return Buffer.from([(major << 5) | 24, n]);
    const b = Buffer.alloc(3);
    b[0] = (major << 5) | 25;
    b.writeUInt16BE(n, 1);
    return b;
  };
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value]);
  if (typeof value === 'string')
    return Buffer.concat([head(3, Buffer.byteLength(value)), Buffer.from(value)]);
  if (value instanceof Map) {
    return Buffer.concat([head(5, value.size), ...[...value].flatMap(([k, v]) => [cbor(k), cbor(v)])]);
  }
  throw new Error('unsupported');
}

class SoftwareAuthenticator {
  readonly credentialId = randomBytes(16);
  readonly #key: KeyObject;
  readonly #jwk: { x: string; y: string };
  #counter = 0;

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.#key = privateKey;
    this.#jwk = publicKey.export({ format: 'jwk' }) as { x: string; y: string };
  }

  get id(): string {
    return this.credentialId.toString('base64url');
  }

  #authData(flags: number, attested?: Buffer): Buffer {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(this.#counter);
    const rpHash = createHash('sha256').update(RP_ID).digest();
    return Buffer.concat([rpHash, Buffer.from([flags]), count, ...(attested ? [attested] : [])]);
  }

  create(challenge: string) {
    const cose = cbor(
      new Map<number, unknown>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, Buffer.from(this.#jwk.x, 'base64url')],
        [-3, Buffer.from(this.#jwk.y, 'base64url')],
      ]),
    );
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const attested = Buffer.concat([Buffer.alloc(16), idLength, this.credentialId, cose]);
    const attestationObject = cbor(
      new Map<string, unknown>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', this.#authData(0x41, attested)], // user present + attested credential data
      ]),
    );
    const clientData = JSON.stringify({
      type: 'webauthn.create',
      challenge,
      origin: ORIGIN,
      crossOrigin: false,
    });
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: Buffer.from(clientData).toString('base64url'),
        attestationObject: attestationObject.toString('base64url'),
        transports: ['internal'],
      },
      clientExtensionResults: {},
    };
  }

  get(challenge: string, origin = ORIGIN) {
    this.#counter++;
    const authenticatorData = this.#authData(0x01);
    const clientData = Buffer.from(
      JSON.stringify({ type: 'webauthn.get', challenge, origin, crossOrigin: false }),
    );
    const signature = sign(
      'sha256',
      Buffer.concat([authenticatorData, createHash('sha256').update(clientData).digest()]),
      this.#key,
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: clientData.toString('base64url'),
        authenticatorData: authenticatorData.toString('base64url'),
        signature: signature.toString('base64url'),
      },
      clientExtensionResults: {},
    };
  }
}

describe('authentication: WebAuthn second factor (software authenticator)', function () {
  this.timeout(30_000);
  let n: AuthNode;
  let token: string;
  const authenticator = new SoftwareAuthenticator();

  before(async () => {
    n = await startAuthNode({
      config: {
        modules: {
          authentication: { scryptLog2N: 10, webauthn: { enabled: true, rpId: RP_ID, origins: [ORIGIN] } },
        },
      },
    });
    token = (await setupOwner(n)).token;
  });
  after(async () => n?.stop());

  const loginOptions = async () => {
    const r = await n.api('POST', '/api/auth/webauthn/login/options');
    expect(r.status, r.text).to.equal(200);
    return (r.json as { challenge: string }).challenge;
  };

  it('without a registered authenticator there is nothing to assert', async () => {
    const r = await n.api('POST', '/api/auth/webauthn/login/options');
    expect(errorCode(r)).to.equal('OR_ERR_WEBAUTHN_NONE');
    expect((await n.api('GET', '/api/auth/status')).json).to.include({ webauthn: false });
  });

  it('the logged-in owner registers an authenticator', async () => {
    const options = await n.api('POST', '/api/auth/webauthn/register/options', { token });
    expect(options.status, options.text).to.equal(200);
    const { challenge, rp } = options.json as { challenge: string; rp: { id: string } };
    expect(rp.id).to.equal(RP_ID);
    const r = await n.api('POST', '/api/auth/webauthn/register', {
      token,
      json: { response: authenticator.create(challenge) },
    });
    expect(r.status, r.text).to.equal(200);
    const list = await n.api('GET', '/api/auth/webauthn/credentials', { token });
    expect((list.json as { credentials: Array<{ id: string }> }).credentials.map((c) => c.id)).to.deep.equal([
      authenticator.id,
    ]);
    // A login page can now offer the security key.
    expect((await n.api('GET', '/api/auth/status')).json).to.include({ webauthn: true });
  });

  it('registration answers for another challenge are refused', async () => {
    await n.api('POST', '/api/auth/webauthn/register/options', { token });
    const r = await n.api('POST', '/api/auth/webauthn/register', {
      token,
      json: { response: new SoftwareAuthenticator().create(randomBytes(32).toString('base64url')) },
    });
    expect(errorCode(r)).to.equal('OR_ERR_WEBAUTHN_INVALID');
  });

  it('password + assertion logs in; the same assertion twice, a wrong origin or password do not', async () => {
    const assertion = authenticator.get(await loginOptions());
    const ok = await n.api('POST', '/api/auth/login', { json: { password: PASSWORD, webauthn: assertion } });
    expect(ok.status, ok.text).to.equal(200);
    expect(ok.json).to.include({ method: 'password+webauthn' });
    const replay = await n.api('POST', '/api/auth/login', {
      json: { password: PASSWORD, webauthn: assertion },
    });
    expect(replay.status).to.equal(401);
    const foreign = authenticator.get(await loginOptions(), 'http://evil.example');
    expect(
      (await n.api('POST', '/api/auth/login', { json: { password: PASSWORD, webauthn: foreign } })).status,
    ).to.equal(401);
    const wrongPassword = authenticator.get(await loginOptions());
    const r = await n.api('POST', '/api/auth/login', {
      json: { password: 'not it at all', webauthn: wrongPassword },
    });
    expect(r.status).to.equal(401);
  });
});
