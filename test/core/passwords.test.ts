// Password policy and hashing (src/core/passwords.ts) against security.md "Secrets at rest" and "Passwords":
// 8..256 characters after NFKC, a shipped common list of 10,000+ entries, not the email, a lowered minimum
// only by configuration; Argon2id PHC strings at OWASP's floor, bounded stored parameters, re-hash of weak
// hashes, and a bounded queue that sheds load with CoreError('overloaded').
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import argon2 from 'argon2';
import { loadConfig } from '../../src/config.js';
import { CoreError } from '../../src/core/errors.js';
import { ARGON2_PARAMS, commonPasswordCount, PasswordHasher, passwordProblem } from '../../src/core/passwords.js';

const policy = loadConfig({}).password;
const PHC = /^\$argon2id\$v=19\$([mtp]=\d+,[mtp]=\d+,[mtp]=\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

/** The m, t and p of a PHC string (argon2 writes them in either order). */
function params(phc: string): { m: number; t: number; p: number } | undefined {
  const match = PHC.exec(phc);
  if (!match) return undefined;
  const kv = new Map((match[1] ?? '').split(',').map((x) => [x[0], Number(x.slice(2))] as const));
  return { m: kv.get('m') ?? 0, t: kv.get('t') ?? 0, p: kv.get('p') ?? 0 };
}

describe('password policy', () => {
  it('defaults to 8..256 characters, common passwords rejected', () => {
    assert.deepEqual(policy, { minLength: 8, maxLength: 256, rejectCommon: true });
  });

  it('counts length in code points after NFKC', () => {
    const cases: Array<[string, string, boolean]> = [
      ['7 characters', 'kq7#vL2', false],
      ['8 characters', 'kq7#vL2m', true],
      ['256 characters', 'kq7#vL2m'.repeat(32), true],
      ['257 characters', `${'kq7#vL2m'.repeat(32)}x`, false],
      // U+FB03 (ﬃ) is one code point that NFKC turns into three.
      ['3 ligatures = 9 after NFKC', '\ufb03\ufb03\ufb03', true],
      ['256 ligatures = 768 after NFKC', '\ufb03'.repeat(256), false],
      // e + combining acute: 8 code points, 4 after NFKC composes them.
      ['4 decomposed letters', 'e\u0301'.repeat(4), false],
      // Astral characters count once each, not per UTF-16 unit.
      ['4 emoji (8 UTF-16 units)', '😀🔑🌲🚲', false],
      ['8 emoji', '😀🔑🌲🚲🎈🧭🪁🦉', true],
    ];
    for (const [label, pw, accepted] of cases) {
      const problem = passwordProblem(pw, undefined, policy);
      assert.equal(problem === undefined, accepted, `${label}: ${problem}`);
    }
    assert.equal(passwordProblem('kq7#vL2', undefined, policy), 'Password should be at least 8 characters');
  });

  it('ships a common-password list of at least 10,000 entries and rejects them, case- and width-insensitively', () => {
    assert.ok(commonPasswordCount() >= 10000, `${commonPasswordCount()} entries`);
    for (const pw of ['password123', 'password', 'qwertyuiop', '12345678', 'iloveyou', 'trustno1', 'PASSWORD123', 'Sunshine', 'ｐａｓｓｗｏｒｄ１２３']) {
      assert.equal(passwordProblem(pw, undefined, policy), 'Password is too common', pw);
    }
    assert.equal(passwordProblem('password123', undefined, { ...policy, rejectCommon: false }), undefined);
    assert.equal(passwordProblem('lantern-orbit-47-quiet', undefined, policy), undefined);
  });

  it('rejects a password equal to the email (trimmed, case-insensitive)', () => {
    const problem = passwordProblem('Alice.Long@Example.com', ' alice.long@example.com ', policy);
    assert.equal(problem, 'Password must not be the same as the email');
    assert.equal(passwordProblem('alice.long@example.com!', 'alice.long@example.com', policy), undefined);
  });

  it('accepts the upstream 6-character minimum only when the operator lowers it', () => {
    assert.notEqual(passwordProblem('kq7#vL', undefined, policy), undefined);
    const lowered = loadConfig({ PASSWORD_MIN_LENGTH: '6' }).password;
    assert.equal(lowered.minLength, 6);
    assert.equal(passwordProblem('kq7#vL', undefined, lowered), undefined);
    assert.equal(passwordProblem('kq7#v', undefined, lowered), 'Password should be at least 6 characters');
  });
});

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher({ concurrency: 2, queue: 8 });

  it('stores Argon2id PHC strings at m >= 19456 KiB, t >= 2, p = 1, salted', async () => {
    assert.ok(ARGON2_PARAMS.memoryCost >= 19456 && ARGON2_PARAMS.timeCost >= 2 && ARGON2_PARAMS.parallelism === 1);
    const [a, b] = await Promise.all([hasher.hash('lantern-orbit-47-quiet'), hasher.hash('lantern-orbit-47-quiet')]);
    for (const h of [a, b]) {
      const p = params(h ?? '');
      assert.ok(p, `PHC argon2id: ${h}`);
      assert.ok(p.m >= 19456, `m=${p.m}`);
      assert.ok(p.t >= 2, `t=${p.t}`);
      assert.equal(p.p, 1);
      assert.ok(!(h ?? '').includes('lantern'));
    }
    assert.notEqual(a, b, 'a fresh salt per hash');
    assert.equal(hasher.needsRehash(a ?? ''), false);
  });

  it('verifies the right password and refuses a wrong one, comparing after NFKC', async () => {
    const stored = await hasher.hash('\ufb03ne-harbor-93');
    assert.equal(await hasher.verify(stored, '\ufb03ne-harbor-93'), true);
    assert.equal(await hasher.verify(stored, 'ffine-harbor-93'), true, 'NFKC-equal passwords are the same password');
    assert.equal(await hasher.verify(stored, 'ffine-harbor-94'), false);
    assert.equal(await hasher.verify(stored, ''), false);
  });

  it('never verifies a malformed stored hash, and does not throw', async () => {
    for (const bad of ['', 'lantern-orbit-47-quiet', '$2b$10$abcdefghijklmnopqrstuuJ3y1h6pX1y8u2dPqNQv8x1R6jZb1Q2', '$argon2id$v=19$m=19456,t=2$c2FsdA$aGFzaA', '$argon2id$v=19$m=4,t=2,p=1$c2FsdHNhbHQ$aGFzaA']) {
      assert.equal(await hasher.verify(bad, 'lantern-orbit-47-quiet'), false, bad);
    }
  });

  it('refuses a stored hash asking for huge memory without running it', async () => {
    const real = await hasher.hash('lantern-orbit-47-quiet');
    const greedy = real.replace(/m=\d+/, 'm=4194304');
    assert.equal(params(greedy)?.m, 4194304);
    const started = performance.now();
    const memBefore = process.memoryUsage().rss;
    assert.equal(await hasher.verify(greedy, 'lantern-orbit-47-quiet'), false);
    const ms = performance.now() - started;
    // A 4 GiB Argon2 pass takes many seconds (or fails to allocate); the bounded path costs one dummy verify.
    assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
    assert.ok(process.memoryUsage().rss - memBefore < 1024 * 1024 * 1024, 'no gigabyte allocation');
    for (const other of [real.replace(/t=\d+/, 't=1000000'), real.replace(/p=\d+/, 'p=255')]) {
      assert.equal(await hasher.verify(other, 'lantern-orbit-47-quiet'), false, other);
    }
  });

  it('refuses a correct hash whose parameters exceed the bounds', async () => {
    const slow = await argon2.hash('lantern-orbit-47-quiet', { type: argon2.argon2id, memoryCost: 8192, timeCost: 11, parallelism: 1 });
    assert.equal(await argon2.verify(slow, 'lantern-orbit-47-quiet'), true);
    assert.equal(await hasher.verify(slow, 'lantern-orbit-47-quiet'), false);
  });

  it('asks for a re-hash of weaker stored hashes, and still verifies them', async () => {
    const weak = [
      await argon2.hash('lantern-orbit-47-quiet', { type: argon2.argon2id, memoryCost: 4096, timeCost: 3, parallelism: 1 }),
      await argon2.hash('lantern-orbit-47-quiet', { type: argon2.argon2id, memoryCost: 19456, timeCost: 1, parallelism: 1 }),
      await argon2.hash('lantern-orbit-47-quiet', { type: argon2.argon2i, memoryCost: 19456, timeCost: 2, parallelism: 1 }),
    ];
    for (const h of weak) {
      assert.equal(hasher.needsRehash(h), true, h);
      assert.equal(await hasher.verify(h, 'lantern-orbit-47-quiet'), true, h);
    }
    assert.equal(hasher.needsRehash('not a phc string'), true);
    const strong = await argon2.hash('x-strong-enough-1', { type: argon2.argon2id, memoryCost: 32768, timeCost: 3, parallelism: 1 });
    assert.equal(hasher.needsRehash(strong), false);
  });

  it('sheds load with CoreError("overloaded") when the bounded queue is full', async () => {
    const small = new PasswordHasher({ concurrency: 1, queue: 1 });
    const stored = await small.hash('stored-password-123');
    const running = small.hash('first-password-123');
    const waiting = small.hash('second-password-123');
    assert.deepEqual(small.load, { running: 1, waiting: 1 });
    await assert.rejects(small.hash('third-password-123'), (err: unknown) => {
      assert.ok(err instanceof CoreError);
      assert.equal(err.code, 'overloaded');
      assert.ok((err.extra.retryAfter ?? 0) >= 1, 'tells the caller when to come back');
      return true;
    });
    await assert.rejects(small.verify(stored, 'stored-password-123'), (err: unknown) => err instanceof CoreError && err.code === 'overloaded');
    const [a, b] = await Promise.all([running, waiting]);
    assert.match(a, PHC);
    assert.match(b, PHC);
    assert.deepEqual(small.load, { running: 0, waiting: 0 });
    assert.match(await small.hash('after-the-storm-123'), PHC, 'serves again once drained');
  });
});
