// A software WebAuthn authenticator (ES256, "none" attestation) for HTTP tests of the server's checks.
// It answers the options the server hands out the way a browser and a security key would, and lets a test
// bend any field (origin, RP ID, counter, flags) to see the server refuse it. Real-browser coverage is in
// passkeys.e2e.test.ts.
import { createHash, createSign, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

const b64url = (data: Buffer | Uint8Array) => Buffer.from(data).toString('base64url');
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

export interface SoftCredential {
  id: Buffer;
  privateKey: KeyObject;
  publicKeyCose: Uint8Array;
  rpId: string;
  userHandle: Buffer;
  counter: number;
}

export interface Bend {
  origin?: string;
  rpId?: string;
  type?: string;
  challenge?: string;
  /** Sign count to report; default: one more than last time. */
  counter?: number;
  userPresent?: boolean;
  userVerified?: boolean;
}

function coseKey(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  const map = new Map<number, number | Uint8Array>([
    [1, 2], // kty: EC2
    [3, -7], // alg: ES256
    [-1, 1], // crv: P-256
    [-2, new Uint8Array(Buffer.from(jwk.x!, 'base64url'))],
    [-3, new Uint8Array(Buffer.from(jwk.y!, 'base64url'))],
  ]);
  return isoCBOR.encode(map);
}

function flags(bend: Bend, extra = 0): number {
  return (bend.userPresent === false ? 0 : FLAG_UP) | (bend.userVerified === false ? 0 : FLAG_UV) | extra;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/**
 * navigator.credentials.create() with `options` (PublicKeyCredentialCreationOptionsJSON) from `origin`.
 * With `existing`, the same credential (id and key) is offered again, as a cloned or replayed one would be.
 */
export function createCredential(
  options: any,
  origin: string,
  bend: Bend = {},
  existing?: SoftCredential,
): { credential: SoftCredential; response: any } {
  const rpId: string = bend.rpId ?? options.rp.id;
  const keys = existing ? null : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const privateKey = existing?.privateKey ?? keys!.privateKey;
  const id = existing?.id ?? randomBytes(32);
  const publicKeyCose = existing?.publicKeyCose ?? coseKey(keys!.publicKey);
  const clientDataJSON = Buffer.from(
    JSON.stringify({
      type: bend.type ?? 'webauthn.create',
      challenge: bend.challenge ?? options.challenge,
      origin: bend.origin ?? origin,
      crossOrigin: false,
    }),
  );
  const idLength = Buffer.alloc(2);
  idLength.writeUInt16BE(id.length);
  const counter = bend.counter ?? 0;
  const authData = Buffer.concat([
    sha256(rpId),
    Buffer.from([flags(bend, FLAG_AT)]),
    u32(counter),
    Buffer.alloc(16), // AAGUID: none
    idLength,
    id,
    Buffer.from(publicKeyCose),
  ]);
  const attestationObject = isoCBOR.encode(
    new Map<string, unknown>([
      ['fmt', 'none'],
      ['attStmt', new Map()],
      ['authData', new Uint8Array(authData)],
    ]) as any,
  );
  const credential: SoftCredential = {
    id,
    privateKey,
    publicKeyCose,
    rpId,
    userHandle: Buffer.from(options.user.id, 'base64url'),
    counter,
  };
  return {
    credential,
    response: {
      id: b64url(id),
      rawId: b64url(id),
      type: 'public-key',
      clientExtensionResults: {},
      authenticatorAttachment: 'cross-platform',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        transports: ['usb'],
      },
    },
  };
}

/** navigator.credentials.get() with `options` (PublicKeyCredentialRequestOptionsJSON) from `origin`. */
export function getAssertion(credential: SoftCredential, options: any, origin: string, bend: Bend = {}): any {
  const rpId = bend.rpId ?? options.rpId ?? credential.rpId;
  const counter = bend.counter ?? credential.counter + 1;
  credential.counter = counter;
  const clientDataJSON = Buffer.from(
    JSON.stringify({
      type: bend.type ?? 'webauthn.get',
      challenge: bend.challenge ?? options.challenge,
      origin: bend.origin ?? origin,
      crossOrigin: false,
    }),
  );
  const authData = Buffer.concat([sha256(rpId), Buffer.from([flags(bend)]), u32(counter)]);
  const signer = createSign('sha256');
  signer.update(Buffer.concat([authData, sha256(clientDataJSON)]));
  const signature = signer.sign(credential.privateKey);
  return {
    id: b64url(credential.id),
    rawId: b64url(credential.id),
    type: 'public-key',
    clientExtensionResults: {},
    authenticatorAttachment: 'cross-platform',
    response: {
      clientDataJSON: b64url(clientDataJSON),
      authenticatorData: b64url(authData),
      signature: b64url(signature),
      userHandle: b64url(credential.userHandle),
    },
  };
}
