// The JSON body parser's limits (security.md, Bad input): nesting deeper than MAX_JSON_DEPTH is refused
// before JSON.parse runs; brackets inside strings do not count; malformed JSON is a BadJson, never a throw of
// anything else.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadJson, MAX_JSON_DEPTH, parseJsonBody } from '../../src/http/json.js';

const nested = (depth: number) => `${'{"a":'.repeat(depth - 1)}[1]${'}'.repeat(depth - 1)}`;

describe('parseJsonBody', () => {
  it(`accepts nesting up to ${MAX_JSON_DEPTH} levels and refuses one more`, () => {
    assert.equal(MAX_JSON_DEPTH, 32);
    assert.doesNotThrow(() => parseJsonBody(nested(MAX_JSON_DEPTH)));
    assert.throws(() => parseJsonBody(nested(MAX_JSON_DEPTH + 1)), (err: unknown) => err instanceof BadJson && /nested deeper/.test(err.message));
    assert.throws(() => parseJsonBody('['.repeat(100000)), BadJson);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const value = `${'['.repeat(100)}\\"{{{`;
    assert.deepEqual(parseJsonBody(JSON.stringify({ password: value })), { password: value });
  });

  it('refuses malformed JSON with BadJson and reads an empty body as none', () => {
    for (const bad of ['{', '{"a":}', 'nul', '[1,]']) assert.throws(() => parseJsonBody(bad), BadJson, bad);
    assert.equal(parseJsonBody('  '), undefined);
  });
});
