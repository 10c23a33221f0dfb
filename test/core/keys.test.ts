// The keyring (src/core/keys.ts): AES-256-GCM for the one recoverable secret, keyed lookup digests, Ed25519
// signing keys published as a JWKS, and rotation (secrets newest first: old values keep working).
// loadSecrets: the embedded default generates its secret once, owner-only, and reuses it.
import assert from 'node:assert/strict';
import { createHash, createHmac, createPublicKey, sign, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Keyring, loadSecrets } from '../../src/core/keys.js';

const OLD = 'a'.repeat(64);
const NEW = 'b'.repeat(64);

describe('Keyring', () => {
  it('needs at least one secret', () => {
    assert.throws(() => new Keyring([]));
  });

  it('encrypts and decrypts, with a fresh IV each time and no plaintext in the sealed value', () => {
    const ring = new Keyring([NEW]);
    for (const plain of ['0123456789abcdef0123456789abcdef', '', 'zoë 😀 ﬃ', 'x'.repeat(10000)]) {
      const a = ring.encrypt(plain);
      const b = ring.encrypt(plain);
      assert.notEqual(a, b);
      assert.equal(ring.decrypt(a), plain);
      assert.equal(ring.decrypt(b), plain);
      if (plain.length > 0) assert.ok(!a.includes(plain));
    }
  });

  it('refuses tampered values and values sealed under an unknown secret', () => {
    const ring = new Keyring([NEW]);
    const sealed = ring.encrypt('0123456789abcdef0123456789abcdef');
    const parts = sealed.split('.');
    const ct = Buffer.from(parts[2] ?? '', 'base64url');
    ct[0] = (ct[0] ?? 0) ^ 1;
    assert.throws(() => ring.decrypt([parts[0], parts[1], ct.toString('base64url'), parts[3]].join('.')));
    assert.throws(() => ring.decrypt(parts.slice(0, 3).join('.')));
    assert.throws(() => ring.decrypt('garbage'));
    assert.throws(() => new Keyring([OLD]).decrypt(sealed));
  });

  it('rotates: values sealed under the old secret still decrypt when the list is [new, old]', () => {
    const old = new Keyring([OLD]);
    const sealedOld = old.encrypt('token-under-old');
    const rotated = new Keyring([NEW, OLD]);
    assert.equal(rotated.decrypt(sealedOld), 'token-under-old');
    const sealedNew = rotated.encrypt('token-under-new');
    assert.equal(rotated.decrypt(sealedNew), 'token-under-new');
    assert.equal(new Keyring([NEW]).decrypt(sealedNew), 'token-under-new', 'new values use the newest secret');
    assert.throws(() => old.decrypt(sealedNew));
  });

  it('digests: keyed, per purpose, and under every secret newest first', () => {
    const old = new Keyring([OLD]);
    const fresh = new Keyring([NEW]);
    const rotated = new Keyring([NEW, OLD]);
    const all = rotated.digests('api-token', 'v');
    assert.equal(all.length, 2);
    assert.deepEqual(all, [fresh.digest('api-token', 'v'), old.digest('api-token', 'v')]);
    assert.ok(all.includes(old.digest('api-token', 'v')), 'a digest stored under the old secret is still found');
    assert.equal(rotated.digest('api-token', 'v'), all[0]);
    assert.notEqual(rotated.digest('api-token', 'v'), rotated.digest('reset-code', 'v'));
    assert.notEqual(rotated.digest('api-token', 'v'), rotated.digest('api-token', 'w'));
    assert.equal(new Keyring([NEW]).digest('api-token', 'v'), fresh.digest('api-token', 'v'), 'instances with one secret agree');
    // Keyed: the secret changes the digest, and no unkeyed hash of the value (with or without the purpose) matches.
    assert.notEqual(fresh.digest('api-token', 'v'), old.digest('api-token', 'v'), 'another secret gives another digest');
    const unkeyed = ['v', 'api-token\0v', 'api-tokenv'].flatMap((m) => [createHash('sha256').update(m).digest('base64url'), createHash('sha256').update(m).digest('hex')]);
    for (const d of [fresh.digest('api-token', 'v'), old.digest('api-token', 'v')]) assert.ok(!unkeyed.includes(d), 'not an unkeyed SHA-256');
    // An HMAC under a key only the secret yields: the same value under a key derived from another secret differs.
    assert.notEqual(fresh.digest('api-token', 'v'), createHmac('sha256', 'api-token').update('v').digest('base64url'));
  });

  it('publishes one public Ed25519 key per secret, the signing key first', () => {
    const rotated = new Keyring([NEW, OLD]);
    const { keys } = rotated.jwks();
    assert.equal(keys.length, 2);
    assert.equal(new Set(keys.map((k) => k.kid)).size, 2, 'distinct kids');
    for (const k of keys) {
      assert.deepEqual({ kty: k.kty, crv: k.crv, alg: k.alg, use: k.use }, { kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
      assert.ok(!('d' in k), 'no private part');
      assert.deepEqual(Object.keys(k).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    }
    assert.equal(rotated.signingKey.kid, keys[0]?.kid);
    assert.equal(new Keyring([OLD]).signingKey.kid, keys[1]?.kid, 'kids are stable across instances');
    assert.equal(new Keyring([NEW]).jwks().keys.length, 1);

    // A signature by the old key verifies with the JWK published for it.
    const data = Buffer.from('claims');
    const sig = sign(null, data, new Keyring([OLD]).signingKey.key);
    const pub = createPublicKey({ key: { kty: keys[1]?.kty, crv: keys[1]?.crv, x: keys[1]?.x }, format: 'jwk' });
    assert.equal(verify(null, data, pub, sig), true);
    assert.ok(rotated.verifyingKey(keys[1]?.kid ?? ''));
    assert.equal(rotated.verifyingKey('nope'), undefined);
  });
});

describe('loadSecrets', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-keys-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('returns configured secrets untouched and writes nothing', () => {
    const target = path.join(dir, 'configured');
    assert.deepEqual(loadSecrets([NEW, OLD], target), [NEW, OLD]);
    assert.throws(() => statSync(target));
  });

  it('generates a secret file once, owner-only, and reuses it', () => {
    const dataDir = path.join(dir, 'nested', 'data');
    const first = loadSecrets(undefined, dataDir);
    const file = path.join(dataDir, 'secret');
    assert.equal(first.length, 1);
    assert.match(first[0] ?? '', /^[0-9a-f]{64}$/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(dataDir).mode & 0o077, 0, 'data folder not readable by others');
    assert.deepEqual(loadSecrets(undefined, dataDir), first, 'same secret on the next start');
    assert.equal(readFileSync(file, 'utf8').trim(), first[0]);
    assert.equal(new Keyring(loadSecrets(undefined, dataDir)).signingKey.kid, new Keyring(first).signingKey.kid);
  });

  it('refuses a secret file without a usable secret', () => {
    const dataDir = path.join(dir, 'short');
    loadSecrets(undefined, dataDir);
    writeFileSync(path.join(dataDir, 'secret'), 'short\n');
    assert.throws(() => loadSecrets(undefined, dataDir), /secret/);
  });
});
