// The API reference: GET /openapi.json passes a real OpenAPI 3.1 validator, documents every route the server
// registers (a route may stay out only with a stated reason), carries the security schemes and each
// dialect's error bodies, and the answers a scripted run receives match the documented statuses and schemas.
// GET /docs renders it from the package's own assets (no CDN).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { admin, application, bb, company } from '../helpers/bookingbug.js';
import { request, type Response } from '../helpers/http.js';
import { BACKEND, GOOD_PASSWORD, startTestServer, testEnv, uniqueEmail, type TestServer } from '../helpers/server.js';
import { ResponseCheck, schemaValidator } from '../helpers/response-check.js';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/server.js';

interface Operation {
  security?: unknown[];
  requestBody?: { content?: Record<string, { schema?: object; example?: unknown; examples?: Record<string, { value: unknown }> }> };
  responses: Record<string, { content?: Record<string, { schema?: object }> }>;
}
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, unknown> } };

const toOpenApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describe(`OpenAPI document and reference page (${BACKEND})`, () => {
  let server: TestServer;
  let doc: Doc;

  before(async () => {
    server = await startTestServer();
    const res = await request(server.url, '/openapi.json');
    assert.equal(res.status, 200);
    doc = res.json as Doc;
  });
  after(async () => {
    await server.stop();
  });

  it('passes an OpenAPI 3.1 validator', async () => {
    assert.equal(doc.openapi, '3.1.0');
    const validator = new Validator();
    const result = await validator.validate(doc as unknown as Parameters<Validator["validate"]>[0]);
    assert.equal(validator.version, '3.1');
    assert.ok(result.valid, JSON.stringify(result.errors, null, 2));
  });

  it('documents every route the server registers, unless it opts out with a reason', () => {
    const missing: string[] = [];
    const optedOut = new Set<string>();
    for (const r of server.app.routeInventory) {
      if (r.method === 'HEAD') continue;
      if (r.optOut !== undefined) {
        assert.ok(r.optOut.trim().length > 5, `${r.method} ${r.url} opts out with a reason`);
        optedOut.add(r.url);
        continue;
      }
      if (!doc.paths[toOpenApiPath(r.url)]?.[r.method.toLowerCase()]) missing.push(`${r.method} ${r.url}`);
    }
    assert.deepEqual(missing, [], 'routes missing from /openapi.json');
    assert.ok(server.app.routeInventory.length >= 35);
    assert.ok(optedOut.has('/openapi.json') && [...optedOut].some((u) => u.startsWith('/docs')));
    for (const generation of ['/api/v9/me', '/api/v8/me', '/api/sessions', '/api/v1/login', '/reset-password/{code}', '/health']) assert.ok(doc.paths[generation], generation);
  });

  it('declares the security schemes and each dialect’s error bodies', () => {
    assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ['accountsCookie', 'apiSessionCookie', 'appId', 'appKey', 'authToken', 'basicApiToken', 'basicPassword']);
    const me = doc.paths['/api/v9/me']?.get as Operation;
    assert.equal(me.security?.length, 4);
    assert.equal(me.responses['403']?.content?.['application/json']?.schema && (me.responses['403'].content['application/json'].schema as { type: string }).type, 'string');
    const company = doc.paths['/api/v1/admin/{company_id}/company']?.get as Operation;
    assert.deepEqual(company.security?.[0], { appId: [], appKey: [], authToken: [] });
    assert.deepEqual((company.responses['401']?.content?.['application/json']?.schema as { required: string[] }).required, ['error']);
  });

  it('every documented success answer has an example, and every example (answers and request bodies) matches its schema', () => {
    const ajv = schemaValidator();
    let examples = 0;
    let withRequestExample = 0;
    const missing: string[] = [];
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const requests = Object.values(op.requestBody?.content ?? {});
        // @fastify/swagger moves a request schema's examples to the media type (`example`, or `examples` by name).
        if (requests.length > 0) withRequestExample += requests.some((m) => m.example !== undefined || m.examples !== undefined) ? 1 : 0;
        for (const media of requests) {
          const all = [...(media.example === undefined ? [] : [media.example]), ...Object.values(media.examples ?? {}).map((e) => e.value)];
          for (const example of all) {
            examples++;
            assert.ok(ajv.validate(media.schema as object, example), `${method.toUpperCase()} ${p} request example: ${ajv.errorsText()}`);
          }
        }
        for (const [status, response] of Object.entries(op.responses)) {
          for (const [type, media] of Object.entries(response.content ?? {})) {
            const schema = media.schema as { examples?: unknown[] } | undefined;
            if (!schema || type !== 'application/json') continue;
            if (!schema.examples?.length && !(schema as { anyOf?: unknown }).anyOf) {
              if (status.startsWith('2')) missing.push(`${method} ${p} ${status}`);
              continue;
            }
            for (const example of schema.examples ?? []) {
              examples++;
              assert.ok(ajv.validate(schema, example), `${method.toUpperCase()} ${p} ${status} example: ${ajv.errorsText()}`);
            }
          }
        }
      }
    }
    assert.deepEqual(missing, [], 'JSON success answers without an example');
    assert.ok(examples > 100, `${examples} examples checked`);
    assert.ok(withRequestExample >= 15, `${withRequestExample} request bodies with an example`);
  });

  it('serves a reference page from its own assets, no CDN', async () => {
    const page = await request(server.url, '/docs/');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const sources = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    assert.ok(sources.length > 0);
    for (const s of sources) assert.ok(!/^(https?:)?\/\//.test(s), `served locally: ${s}`);
    for (const s of sources.filter((x) => x.endsWith('.js'))) assert.equal((await request(server.url, `/docs/${s.replace(/^\.\//, '')}`)).status, 200, s);
  });

  it('answers of a scripted run match the documented statuses and schemas', async () => {
    // The response check of test/helpers/response-check.ts (on every test server) does the matching; this
    // run makes sure each dialect's main answers pass through it.
    const seen: string[] = [];
    const check = (method: string, template: string, res: Response) => {
      assert.ok(doc.paths[template]?.[method.toLowerCase()], `${method} ${template} is documented`);
      assert.deepEqual(server.responses.problems, [], `${method} ${template} ${res.status}`);
      assert.ok(server.responses.seen.has(`${method} ${template} ${res.status}`), `${method} ${template} ${res.status} was checked`);
      seen.push(`${method} ${template} ${res.status}`);
    };
    const email = uniqueEmail('openapi');
    check('POST', '/api/signup', await request(server.url, '/api/signup', { method: 'POST', json: { email, password: GOOD_PASSWORD } }));
    check('POST', '/api/signup', await request(server.url, '/api/signup', { method: 'POST', json: { email: 'not-an-email', password: GOOD_PASSWORD } }));
    check('GET', '/api/v9/me', await request(server.url, '/api/v9/me', { auth: [email, GOOD_PASSWORD] }));
    check('GET', '/api/v9/me', await request(server.url, '/api/v9/me'));
    check('GET', '/api/v9/me', await request(server.url, '/api/v9/me', { auth: [email, 'wrong-password-zebra-74'] }));
    check('GET', '/api/v8/me', await request(server.url, '/api/v8/me', { auth: [email, GOOD_PASSWORD] }));
    check('POST', '/api/sessions', await request(server.url, '/api/sessions', { method: 'POST', json: { email, password: GOOD_PASSWORD } }));
    check('POST', '/api/password_reset', await request(server.url, '/api/password_reset', { method: 'POST', json: { email } }));
    check('GET', '/health', await request(server.url, '/health'));
    check('GET', '/.well-known/jwks.json', await request(server.url, '/.well-known/jwks.json'));
    check('GET', '/reset-password/{code}', await request(server.url, '/reset-password/ABCDEFGHJKMN'));

    const companyId = await company(server, 'OpenAPI Co');
    const adminEmail = uniqueEmail('openapi-admin');
    await admin(server, companyId, adminEmail);
    const setup = { app: await application(server, companyId), adminEmail, companyId: String(companyId) };
    check('POST', '/api/v1/login', await bb(server, '/login', { app: setup.app, body: { email: setup.adminEmail, password: GOOD_PASSWORD } }));
    check('POST', '/api/v1/login', await bb(server, '/login', { app: setup.app, body: { email: setup.adminEmail, password: 'wrong-password-zebra-75' } }));
    check('POST', '/api/v1/login', await bb(server, '/login', { app: { appId: '0000000000000000', appKey: undefined }, body: { email: setup.adminEmail, password: GOOD_PASSWORD } }));
    check('GET', '/api/v1/admin/{company_id}/company', await bb(server, `/admin/${setup.companyId}/company`, { app: setup.app, token: 'A'.repeat(22) }));
    check('GET', '/api/v1/admin/{company_id}/company', await bb(server, `/admin/${setup.companyId}/company`, { app: setup.app }));
    console.log(`openapi: ${seen.length} answers checked: ${seen.join('; ')}`);
  });
});

describe(`The response check fails on answers that break the document (${BACKEND})`, () => {
  it('reports an undocumented status and a body that does not match its schema', async () => {
    const check = new ResponseCheck();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-check-'));
    const running = await startServer(loadConfig(testEnv(dataDir), dataDir), {
      logLevel: 'silent',
      instrument: (app) => {
        // Breaks two answers before the check sees them.
        app.addHook('onSend', (req, reply, payload, done) => {
          if (req.url === '/health') return done(null, JSON.stringify({ status: 'nope' }));
          if (req.url === '/.well-known/jwks.json') reply.code(418);
          done(null, payload);
        });
        check.attach(app);
      },
    });
    try {
      await request(running.url, '/health');
      await request(running.url, '/.well-known/jwks.json');
    } finally {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
    assert.equal(check.problems.length, 2, check.problems.join('\n'));
    assert.match(check.problems.join('\n'), /GET \/health 200: data\/status must be equal to/);
    assert.match(check.problems.join('\n'), /GET \/\.well-known\/jwks\.json 418: status not documented/);
    assert.throws(() => check.assertClean(), /2 answer\(s\) do not match/);
  });
});
