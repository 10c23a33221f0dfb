// BookingBug test set-up through the running server's core (the same calls the operator CLI makes):
// companies, administrators, members and applications; and a client for /api/v1 that sends App-Id,
// App-Key and Auth-Token headers and a body as JSON, urlencoded form or multipart form.
import { randomBytes } from 'node:crypto';
import type { Role } from '../../src/core/companies.js';
import { request, type Response } from './http.js';
import { GOOD_PASSWORD, type TestServer } from './server.js';

const CTX = { ip: '127.0.0.1', userAgent: 'test-setup', operator: true };

export interface App {
  appId: string;
  appKey: string | undefined;
}

export async function company(server: TestServer, name: string, parent?: number): Promise<number> {
  return (await server.core.companies.create(`${name} ${randomBytes(3).toString('hex')}`, parent, CTX)).id;
}

export async function admin(server: TestServer, companyId: number, email: string, options: { password?: string; role?: Role; name?: string } = {}): Promise<number> {
  const a = await server.core.companies.addAdministrator(
    { companyId, email, password: options.password ?? GOOD_PASSWORD, name: options.name ?? 'Ann Admin', role: options.role ?? 'owner' },
    CTX,
  );
  return a.id;
}

export async function member(server: TestServer, companyId: number, email: string, password = GOOD_PASSWORD): Promise<number> {
  return (await server.core.companies.addMember({ companyId, email, password, firstName: 'Mia', lastName: 'Member' }, CTX)).id;
}

export async function application(server: TestServer, companyId: number, withKey = true): Promise<App> {
  const a = await server.core.applications.create(companyId, 'test app', withKey, CTX);
  return { appId: a.appId, appKey: a.appKey };
}

export type Encoding = 'json' | 'form' | 'multipart';
export const ENCODINGS: Encoding[] = ['json', 'form', 'multipart'];

export function multipartBody(fields: Record<string, string>, boundary = `----gatehouse${randomBytes(6).toString('hex')}`): { body: string; contentType: string } {
  const parts = Object.entries(fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  return { body: `${parts.join('')}--${boundary}--\r\n`, contentType: `multipart/form-data; boundary=${boundary}` };
}

export interface BbOptions {
  method?: string;
  app?: App | undefined;
  token?: string | undefined;
  body?: Record<string, string | number> | undefined;
  encoding?: Encoding;
  headers?: Record<string, string>;
}

/** A request to /api/v1 + path with the application's headers (and Auth-Token when given). */
export async function bb(server: TestServer, path: string, options: BbOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.app) {
    headers['App-Id'] = options.app.appId;
    if (options.app.appKey !== undefined) headers['App-Key'] = options.app.appKey;
  }
  if (options.token !== undefined) headers['Auth-Token'] = options.token;
  let body: string | undefined;
  if (options.body !== undefined) {
    const encoding = options.encoding ?? 'json';
    const strings = Object.fromEntries(Object.entries(options.body).map(([k, v]) => [k, String(v)]));
    if (encoding === 'json') {
      body = JSON.stringify(options.body);
      headers['Content-Type'] = 'application/json';
    } else if (encoding === 'form') {
      body = new URLSearchParams(strings).toString();
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    } else {
      const m = multipartBody(strings);
      body = m.body;
      headers['Content-Type'] = m.contentType;
    }
  }
  return request(server.url, `/api/v1${path}`, { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
}

export interface LoginAnswer {
  email: string;
  auth_token: string;
  company_id: number;
  path: string;
  role?: string;
  _embedded: { members: Array<Record<string, unknown>>; administrators: Array<{ id: number; company_id: number; role: string; _links: Record<string, { href: string }> }> };
  _links: Record<string, { href: string; templated?: boolean }>;
}

/** Logs in and returns the answer, failing the test unless it is 200 with a token. */
export async function login(server: TestServer, app: App, path: string, body: Record<string, string | number>, encoding: Encoding = 'json'): Promise<LoginAnswer> {
  const res = await bb(server, path, { app, body, encoding });
  if (res.status !== 200) throw new Error(`login at ${path} answered ${res.status}: ${res.text}`);
  return res.json as LoginAnswer;
}
