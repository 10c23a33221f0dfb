// The server keyring: every key is derived (HKDF-SHA256) from the operator's secrets, newest first.
// It encrypts the one recoverable secret (AES-256-GCM), computes keyed lookup digests (HMAC-SHA256)
// and holds the Ed25519 keys that sign session cookies. Several instances with the same secrets agree.
import { createCipheriv, createDecipheriv, createHmac, createPrivateKey, createPublicKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

interface DerivedKey {
  /** Short public fingerprint naming the secret this key came from. */
  id: string;
  enc: Buffer;
  mac: Buffer;
  signing: KeyObject;
  verifying: KeyObject;
}

export interface PublicJwk {
  kty: string;
  crv: string;
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function derive(secret: string, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.from('gatehouse'), Buffer.from(info), 32));
}

function deriveKey(secret: string): DerivedKey {
  const seed = derive(secret, 'ed25519-session-signing-v1');
  const signing = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const id = derive(secret, 'key-id-v1').toString('base64url').slice(0, 12);
  return { id, enc: derive(secret, 'aes-256-gcm-v1'), mac: derive(secret, 'hmac-lookup-v1'), signing, verifying: createPublicKey(signing) };
}

export class Keyring {
  private readonly keys: DerivedKey[];
  /** Values decrypted for a row object, kept as long as the row (see decryptFor). */
  private readonly opened = new WeakMap<object, { sealed: string; plain: string }>();

  constructor(secrets: string[]) {
    if (secrets.length === 0) throw new Error('Keyring needs at least one secret');
    this.keys = secrets.map(deriveKey);
  }

  /** The ids of the keys this ring holds (a sealed value starts with its key's id and a dot). */
  get keyIds(): string[] {
    return this.keys.map((k) => k.id);
  }

  private get current(): DerivedKey {
    return this.keys[0] as DerivedKey;
  }

  /** Encrypts with the newest key: `keyId.iv.ciphertext.tag`, all base64url. */
  encrypt(plaintext: string): string {
    const key = this.current;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key.enc, iv);
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [key.id, iv.toString('base64url'), ct.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  decrypt(sealed: string): string {
    const [id, iv, ct, tag] = sealed.split('.');
    const key = this.keys.find((k) => k.id === id);
    if (!key || iv === undefined || ct === undefined || tag === undefined) throw new Error('cannot decrypt: unknown key or malformed value');
    const decipher = createDecipheriv('aes-256-gcm', key.enc, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  }

  /**
   * decrypt(), remembered with the object `sealed` was read from (a store row): a row kept by the credential
   * cache is decrypted once, not on every request that renders it (issue 9). The memory goes with the row.
   */
  decryptFor(holder: object, sealed: string): string {
    const known = this.opened.get(holder);
    if (known !== undefined && known.sealed === sealed) return known.plain;
    const plain = this.decrypt(sealed);
    this.opened.set(holder, { sealed, plain });
    return plain;
  }

  /** The keyed digest to store for a lookup value, under the newest key. */
  digest(purpose: string, value: string): string {
    return this.mac(this.current, purpose, value);
  }

  /** The digests of a value under every key, newest first: look up with all so rotation loses nothing. */
  digests(purpose: string, value: string): string[] {
    return this.keys.map((k) => this.mac(k, purpose, value));
  }

  private mac(key: DerivedKey, purpose: string, value: string): string {
    return createHmac('sha256', key.mac).update(purpose).update('\0').update(value, 'utf8').digest('base64url');
  }

  get signingKey(): { kid: string; key: KeyObject } {
    return { kid: this.current.id, key: this.current.signing };
  }

  verifyingKey(kid: string): KeyObject | undefined {
    return this.keys.find((k) => k.id === kid)?.verifying;
  }

  /** The JSON Web Key Set that lets other services check session cookies offline. */
  jwks(): { keys: PublicJwk[] } {
    return {
      keys: this.keys.map((k) => {
        const jwk = k.verifying.export({ format: 'jwk' }) as { kty: string; crv: string; x: string };
        return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, kid: k.id, alg: 'EdDSA', use: 'sig' };
      }),
    };
  }
}

/**
 * The configured secrets, or for the embedded default a secret generated on first start into the data
 * folder with owner-only permissions (the exclusive create keeps two first starts from racing).
 */
export function loadSecrets(configured: string[] | undefined, dataDir: string): string[] {
  if (configured !== undefined) return configured;
  const file = path.join(dataDir, 'secret');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, randomBytes(32).toString('hex') + '\n', { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const secret = readFileSync(file, 'utf8').trim();
  if (secret.length < 32) throw new Error(`${file} holds no usable secret (expected 64 hex characters)`);
  return [secret];
}
