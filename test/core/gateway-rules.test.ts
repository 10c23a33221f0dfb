// Gateway route rules (src/gateway/rules.ts): pattern matching, first match wins, the defaults, and a bad
// GATEWAY_RULES file stopping the start with one line naming the variable, the rule and the problem.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { DEFAULT_RULES, matchPath, matchRule, parseRules } from '../../src/gateway/rules.js';

const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-rules-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function rulesFile(content: string): string {
  const file = path.join(dir, `rules-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, content);
  return file;
}

describe('gateway rules', () => {
  it('matches *, ** and {name} segments', () => {
    assert.deepEqual(matchPath('/api/v9/**', '/api/v9/me/time_entries'), {});
    assert.deepEqual(matchPath('/api/v9/**', '/api/v9'), {});
    assert.equal(matchPath('/api/v9/**', '/api/v90/me'), undefined);
    assert.deepEqual(matchPath('/api/v1/admin/{company_id}/**', '/api/v1/admin/42/bookings/7'), { company_id: '42' });
    assert.equal(matchPath('/api/v1/admin/{company_id}/**', '/api/v1/admin/'), undefined);
    assert.deepEqual(matchPath('/a/*/c', '/a/b/c'), {});
    assert.equal(matchPath('/a/*/c', '/a/b/c/d'), undefined);
  });

  it('the defaults: Toggl, BookingBug admin before application, everything else refused', () => {
    const rule = (m: string, p: string) => matchRule(DEFAULT_RULES, m, p).rule.name;
    assert.equal(rule('GET', '/api/v9/me/time_entries'), 'toggl-v9');
    assert.equal(rule('POST', '/api/v8/time_entries'), 'toggl-v8');
    assert.equal(rule('GET', '/api/v1/admin/3/bookings'), 'bookingbug-admin');
    assert.equal(matchRule(DEFAULT_RULES, 'GET', '/api/v1/admin/3/bookings').params.company_id, '3');
    assert.equal(rule('GET', '/api/v1/3/services'), 'bookingbug-app');
    assert.equal(rule('GET', '/metrics'), 'none');
    assert.equal(matchRule(DEFAULT_RULES, 'GET', '/metrics').rule.require, 'deny');
  });

  it("the operator's rules come first; methods narrow a rule (GET covers HEAD)", () => {
    const c = loadConfig({ GATEWAY_RULES: rulesFile(JSON.stringify({ rules: [{ name: 'status', path: '/api/v9/status', methods: ['get'], require: 'public' }] })) }, dir);
    assert.equal(matchRule(c.gateway.rules, 'GET', '/api/v9/status').rule.name, 'status');
    assert.equal(matchRule(c.gateway.rules, 'HEAD', '/api/v9/status').rule.name, 'status');
    assert.equal(matchRule(c.gateway.rules, 'POST', '/api/v9/status').rule.name, 'toggl-v9');
    assert.equal(c.gateway.rules.length, DEFAULT_RULES.length + 1);
    const list = parseRules('[{"paths": ["/x/**", "/y"], "require": "toggl", "pass_credentials": true}]');
    assert.equal(list.length, 2);
    assert.equal(list[0]?.passCredentials, true);
  });

  it('a bad rules file stops the start with one line naming GATEWAY_RULES and the problem', () => {
    const cases: Array<[string, RegExp]> = [
      ['{"rules": [', /^GATEWAY_RULES: not valid JSON/],
      ['{"rules": {}}', /^GATEWAY_RULES: expected \{"rules": \[\.\.\.\]\}/],
      ['[{"path": "/x", "require": "magic"}]', /^GATEWAY_RULES: rule 1: "require" must be one of toggl, /],
      ['[{"path": "/x", "require": "toggl"}, {"path": "x", "require": "toggl"}]', /^GATEWAY_RULES: rule 2: path "x" must start with \//],
      ['[{"path": "/a/**/b", "require": "toggl"}]', /^GATEWAY_RULES: rule 1: path "\/a\/\*\*\/b": \*\* may only be the last segment/],
      ['[{"path": "/admin/**", "require": "bookingbug-admin"}]', /^GATEWAY_RULES: rule 1: a bookingbug-admin path must capture \{company_id\}/],
      ['[{"path": "/x", "require": "toggl", "methods": ["FETCH"]}]', /^GATEWAY_RULES: rule 1: "methods" must be/],
      ['[{"path": "/x", "require": "toggl", "pass": true}]', /^GATEWAY_RULES: rule 1: unknown field "pass"/],
    ];
    for (const [content, message] of cases) {
      assert.throws(
        () => loadConfig({ GATEWAY_RULES: rulesFile(content) }, dir),
        (err: Error) => err instanceof ConfigError && message.test(err.message) && !err.message.includes('\n'),
        content,
      );
    }
    assert.throws(() => loadConfig({ GATEWAY_RULES: path.join(dir, 'absent.json') }, dir), /GATEWAY_RULES: cannot read .*absent\.json \(ENOENT\)$/);
    assert.throws(() => loadConfig({ GATEWAY_UPSTREAM: 'ftp://x' }, dir), /GATEWAY_UPSTREAM must be/);
    assert.throws(() => loadConfig({ GATEWAY_UPSTREAM: 'http://x:1/path' }, dir), /GATEWAY_UPSTREAM must be/);
    assert.equal(loadConfig({ GATEWAY_UPSTREAM: 'http://127.0.0.1:3000/' }, dir).gateway.upstream, 'http://127.0.0.1:3000');
    assert.equal(loadConfig({}, dir).gateway.upstream, undefined);
    assert.equal(loadConfig({}, dir).gateway.audience, 'gatehouse-upstream');
  });
});
