// Parts for the gateway tests: a small upstream HTTP server that records what reaches it, and real nginx
// (auth_request) and Caddy (forward_auth) processes on free loopback ports, configured from the files shipped
// in docs/ (only the addresses are replaced), each in its own temp folder (pid, logs, temp files).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bodyBytes: number;
}

export interface Upstream {
  url: string;
  port: number;
  received: Received[];
  /** The requests received since `mark` (an index into `received`). */
  since(mark: number): Received[];
  close(): Promise<void>;
}

/**
 * Answers every request with 200 JSON `{"upstream": true, "path": …}` (a list for …/time_entries), after
 * reading its whole body. `/download/<bytes>` streams that many bytes; `/slow/<ms>` waits before answering;
 * `/status/<code>` answers that status with its own headers (`Cache-Control: max-age=7`, `X-Upstream: yes`).
 */
export async function startUpstream(): Promise<Upstream> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let bodyBytes = 0;
    req.on('data', (c: Buffer) => (bodyBytes += c.length));
    req.on('end', () => {
      const url = req.url ?? '/';
      received.push({ method: req.method ?? '', url, headers: req.headers, bodyBytes });
      const path = url.split('?')[0] ?? '/';
      const download = /\/download\/(\d+)$/.exec(path);
      if (download) {
        let left = Number(download[1]);
        const chunk = Buffer.alloc(64 * 1024, 120);
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(left) });
        const pump = () => {
          while (left > 0) {
            const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
            left -= piece.length;
            if (!res.write(piece)) return void res.once('drain', pump);
          }
          res.end();
        };
        return pump();
      }
      const slow = /^\/api\/v9\/slow\/(\d+)$/.exec(path);
      const status = /\/status\/(\d{3})$/.exec(path);
      const answer = () => {
        if (status) {
          res.writeHead(Number(status[1]), { 'content-type': 'text/plain', 'cache-control': 'max-age=7', 'x-upstream': 'yes' }).end(`upstream says ${status[1]}`);
          return;
        }
        const body = path.endsWith('/time_entries') ? [{ id: 1, description: 'from upstream' }] : { upstream: true, path, body_bytes: bodyBytes };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (slow) setTimeout(answer, Number(slow[1]));
      else answer();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    since: (mark) => received.slice(mark),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function waitForPort(port: number, child: ChildProcess, output: () => string, timeoutMs = 15000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}) before listening:\n${output()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listened on ${port} within ${timeoutMs} ms:\n${output()}`);
}

export interface Front {
  name: string;
  url: string;
  stop(): Promise<void>;
}

/** Where a binary is, or undefined. */
export function which(binary: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  const found = r.stdout.trim();
  if (found !== '') return found;
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']) if (existsSync(path.join(dir, binary))) return path.join(dir, binary);
  return undefined;
}

/**
 * Skip reason when a proxy binary is missing; under CI=true a missing binary is a failure instead
 * (the test then fails on start), since .ci/run installs both.
 */
export function missing(binary: string): string | false {
  if (which(binary)) return false;
  if (process.env.CI === 'true') return false;
  return `${binary} is not installed (install it, or run under CI=true to make this a failure)`;
}

function spawnTracked(cmd: string, args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  process.once('exit', () => child.kill('SIGKILL'));
  return { child, output: () => out };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const late = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(late);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** nginx from docs/nginx/gatehouse.conf, in front of `upstreamPort`, asking Gatehouse on `gatehousePort`. */
export async function startNginx(gatehousePort: number, upstreamPort: number, plainProxyPort?: number): Promise<Front> {
  const nginx = which('nginx');
  if (!nginx) throw new Error('nginx is not installed (.ci/run installs nginx-core)');
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-nginx-'));
  chmodSync(dir, 0o755);
  for (const t of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, t), { mode: 0o777 });
  const port = await freePort();
  const site = readFileSync(path.join(ROOT, 'docs', 'nginx', 'gatehouse.conf'), 'utf8')
    .replace('server 127.0.0.1:8080;', `server 127.0.0.1:${gatehousePort};`)
    .replace('server 127.0.0.1:3000;', `server 127.0.0.1:${upstreamPort};`)
    .replace('listen 127.0.0.1:8000;', `listen 127.0.0.1:${port};`);
  // For the benchmark: one more server that proxies to the API without asking Gatehouse.
  const plain =
    plainProxyPort === undefined
      ? ''
      : `\nserver {\n  listen 127.0.0.1:${plainProxyPort};\n  location / {\n    proxy_http_version 1.1;\n    proxy_set_header Connection "";\n    proxy_pass http://protected_api;\n  }\n}\n`;
  writeFileSync(path.join(dir, 'gatehouse.conf'), site + plain);
  const user = process.getuid?.() === 0 ? 'user root root;\n' : '';
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    `${user}daemon off;\nworker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log warn;\n` +
      `events { worker_connections 512; }\n` +
      `http {\n  access_log off;\n  client_body_temp_path ${dir}/body;\n  proxy_temp_path ${dir}/proxy;\n  fastcgi_temp_path ${dir}/fastcgi;\n  uwsgi_temp_path ${dir}/uwsgi;\n  scgi_temp_path ${dir}/scgi;\n  include ${dir}/gatehouse.conf;\n}\n`,
  );
  const { child, output } = spawnTracked(nginx, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], process.env);
  const log = () => output() + (existsSync(path.join(dir, 'error.log')) ? readFileSync(path.join(dir, 'error.log'), 'utf8') : '');
  try {
    await waitForPort(port, child, log);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return {
    name: 'nginx',
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Caddy from docs/caddy/Caddyfile, in front of `upstreamPort`, asking Gatehouse on `gatehousePort`. */
export async function startCaddy(gatehousePort: number, upstreamPort: number): Promise<Front> {
  const caddy = which('caddy');
  if (!caddy) throw new Error('caddy is not installed (.ci/run installs caddy)');
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-caddy-'));
  const port = await freePort();
  const file = readFileSync(path.join(ROOT, 'docs', 'caddy', 'Caddyfile'), 'utf8')
    .replaceAll('127.0.0.1:8080', `127.0.0.1:${gatehousePort}`)
    .replaceAll('127.0.0.1:3000', `127.0.0.1:${upstreamPort}`)
    .replace('http://127.0.0.1:8000', `http://127.0.0.1:${port}`);
  const config = path.join(dir, 'Caddyfile');
  writeFileSync(config, file);
  const env = { ...process.env, HOME: dir, XDG_DATA_HOME: path.join(dir, 'data'), XDG_CONFIG_HOME: path.join(dir, 'config') };
  const { child, output } = spawnTracked(caddy, ['run', '--config', config, '--adapter', 'caddyfile'], env);
  try {
    await waitForPort(port, child, output);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return {
    name: 'caddy',
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
