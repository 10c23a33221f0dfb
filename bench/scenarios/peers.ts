// The ceiling (a bare Fastify route) and the peer (better-auth's get-session on SQLite, plain and with its
// cookie cache), each server alone.
import { createServer } from 'node:net';
import path from 'node:path';
import { BENCH_DIR, ROOT, load, loadRounds, startProcess, type Group, type Proc, type Row, type Target } from '../lib.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A bare Fastify server process (bench/servers/bare.ts) and the target of its one route. */
export async function startBare(): Promise<{ proc: Proc; target: Target }> {
  const proc = await startProcess([path.join(ROOT, 'dist', 'bench', 'servers', 'bare.js')], {});
  return { proc, target: { url: `${proc.url}/me`, expect: 200 } };
}

export const bare: Group = {
  name: 'bare Fastify',
  async run(s) {
    const { proc: p, target } = await startBare();
    try {
      await load('warm-up', { ...target, seconds: 1 }, s);
      const [row] = await loadRounds([['bare Fastify 5 route, same user JSON (the ceiling)', target]], s);
      return [{ ...(row as Row), role: 'ceiling' }];
    } finally {
      await p.stop();
    }
  },
};

/**
 * A better-auth server process (bench/peers/better-auth.mjs, SQLite), one user signed up, and the target of its
 * get-session with that user's cookie.
 */
export async function startBetterAuth(cookieCache: boolean): Promise<{ proc: Proc; target: Target }> {
  const port = await freePort();
  const proc = await startProcess([path.join(BENCH_DIR, 'peers', 'better-auth.mjs')], { PORT: String(port), BA_COOKIE_CACHE: cookieCache ? '1' : '0' }, { cwd: BENCH_DIR });
  try {
    const res = await fetch(`${proc.url}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: proc.url },
      body: JSON.stringify({ email: 'bench@example.com', password: 'bench-lantern-orbit-47', name: 'bench' }),
    });
    if (res.status !== 200) throw new Error(`better-auth sign-up: ${res.status} ${await res.text()}`);
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    return { proc, target: { url: `${proc.url}/api/auth/get-session`, headers: { cookie }, expect: 200 } };
  } catch (err) {
    await proc.stop();
    throw err;
  }
}

async function betterAuthRow(name: string, cookieCache: boolean, s: Parameters<Group['run']>[0]): Promise<Row> {
  const { proc, target } = await startBetterAuth(cookieCache);
  try {
    await load('warm-up', { ...target, seconds: 1 }, s);
    return (await loadRounds([[name, target]], s))[0] as Row;
  } finally {
    await proc.stop();
  }
}

export const betterAuth: Group = {
  name: 'better-auth',
  async run(s) {
    const plain = { ...(await betterAuthRow('better-auth get-session, SQLite (the peer)', false, s)), role: 'peer' as const };
    const cached = await betterAuthRow('better-auth get-session, SQLite, cookie cache', true, s);
    return [plain, cached];
  },
};
