// A small HTTP client for tests: fetch with Basic auth, JSON bodies and Set-Cookie parsing.

export interface Response {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
  cookies: Record<string, { value: string; attributes: string[] }>;
}

export function basic(user: string, password: string): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  json?: unknown;
  body?: string | Buffer;
  cookie?: string;
  auth?: [string, string];
}

export async function request(base: string, path: string, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  let body: string | Buffer | undefined = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  if (options.cookie) headers.cookie = options.cookie;
  if (options.auth) headers.authorization = basic(options.auth[0], options.auth[1]);
  const res = await fetch(base + path, { method: options.method ?? 'GET', headers, body, redirect: 'manual' });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  const cookies: Response['cookies'] = {};
  for (const line of res.headers.getSetCookie()) {
    const [pair = '', ...attributes] = line.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    cookies[pair.slice(0, eq)] = { value: pair.slice(eq + 1), attributes };
  }
  return { status: res.status, headers: res.headers, text, json, cookies };
}
