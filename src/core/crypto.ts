// Small cryptographic helpers over node:crypto: random tokens, digests and constant-time comparison.
import * as nodeCrypto from 'node:crypto';
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/** `bytes` random bytes from the CSPRNG, URL-safe base64 without padding. */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** A code of `length` characters drawn uniformly from `alphabet`. */
export function randomCode(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** crypto.hash, the one-shot digest (Node 20.12+, 21.7+): no Hash object per call (issue 9: a digest per request). */
const oneShot = (nodeCrypto as { hash?: (algorithm: string, data: string, encoding: 'base64url') => string }).hash;

export function sha256(value: string): string {
  return oneShot ? oneShot('sha256', value, 'base64url') : createHash('sha256').update(value, 'utf8').digest('base64url');
}

/** Compares two strings in time that depends only on their lengths. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}
