// parseBasic (src/http/basic.ts): strict and total. Every malformed header is `malformed`, never a throw;
// a missing one is `absent`; a good one splits on the first colon only (spec/toggl.md §1).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseBasic, type BasicResult } from '../../src/http/basic.js';

const b64 = (s: string | Buffer) => (typeof s === 'string' ? Buffer.from(s, 'utf8') : s).toString('base64');
const header = (s: string | Buffer) => `Basic ${b64(s)}`;
const ok = (user: string, password: string): BasicResult => ({ kind: 'ok', user, password });
const MALFORMED: BasicResult = { kind: 'malformed' };

describe('parseBasic', () => {
  it('reports an absent header as absent', () => {
    assert.deepEqual(parseBasic(undefined), { kind: 'absent' });
  });

  it('accepts well-formed headers, scheme case-insensitively', () => {
    const cases: Array<[string, BasicResult]> = [
      [header('a@example.com:secret'), ok('a@example.com', 'secret')],
      [`basic ${b64('a@example.com:secret')}`, ok('a@example.com', 'secret')],
      [`BASIC ${b64('a@example.com:secret')}`, ok('a@example.com', 'secret')],
      [header('0123456789abcdef0123456789abcdef:api_token'), ok('0123456789abcdef0123456789abcdef', 'api_token')],
      [header('zoë@exämple.com:pässwörd 😀'), ok('zoë@exämple.com', 'pässwörd 😀')],
      [`${header('a@example.com:secret')} `, ok('a@example.com', 'secret')],
      // RFC 7235: credentials = auth-scheme 1*SP token68
      [`Basic  ${b64('a@example.com:secret')}`, ok('a@example.com', 'secret')],
      // A leading U+FEFF belongs to the user name (a UTF-8 decoder drops it as a byte order mark by default;
      // found by the round-trip property below).
      [header('\uFEFF :\u0080'), ok('\uFEFF ', '\u0080')],
    ];
    for (const [h, want] of cases) assert.deepEqual(parseBasic(h), want, h);
  });

  it('splits on the first colon only: passwords may contain colons', () => {
    assert.deepEqual(parseBasic(header('u@example.com:pa:ss:word')), ok('u@example.com', 'pa:ss:word'));
    assert.deepEqual(parseBasic(header('u@example.com::leading')), ok('u@example.com', ':leading'));
    assert.deepEqual(parseBasic(header('u@example.com:trailing:')), ok('u@example.com', 'trailing:'));
  });

  it('rejects every malformed header as malformed', () => {
    const good = b64('a@example.com:secret');
    const cases: Array<[string, string | string[]]> = [
      ['empty string', ''],
      ['scheme only', 'Basic'],
      ['scheme and space', 'Basic '],
      ['wrong scheme Bearer', `Bearer ${good}`],
      ['wrong scheme Digest', 'Digest username="a", realm="x"'],
      ['no space after scheme', `Basic${good}`],
      ['tab after scheme', `Basic\t${good}`],
      ['leading space', ` Basic ${good}`],
      ['two credentials separated by a space', `Basic ${good} ${good}`],
      ['space inside the credentials', `Basic ${good.slice(0, 4)} ${good.slice(4)}`],
      ['not base64 at all', 'Basic !!!notbase64!!!'],
      ['base64url alphabet', `Basic ${Buffer.from('a?>:~~~??>').toString('base64url')}`],
      ['stray character', `Basic ${good}*`],
      ['length 1 mod 4', 'Basic YTpiY'],
      ['too much padding', `Basic ${good}===`],
      ['padding in the middle', 'Basic YT=pYg=='],
      ['no colon', header('useronly')],
      ['empty user', header(':secret')],
      ['empty password', header('a@example.com:')],
      ['only a colon', header(':')],
      ['empty decoded', 'Basic ===='],
      ['NUL in password', header('a@example.com:sec\u0000ret')],
      ['newline in user', header('a@exa\nmple.com:secret')],
      ['CR in password', header('a@example.com:secret\r')],
      ['tab in password', header('a@example.com:sec\tret')],
      ['DEL in password', header('a@example.com:secret\u007f')],
      ['ESC in user', header('\u001ba@example.com:secret')],
      ['invalid UTF-8 bytes', header(Buffer.from([0xff, 0xfe, 0x3a, 0x61, 0x62]))],
      ['overlong UTF-8 encoding', header(Buffer.from([0x61, 0xc0, 0xaf, 0x3a, 0x62]))],
      ['truncated UTF-8 sequence', header(Buffer.from([0x61, 0x3a, 0x62, 0xe2, 0x82]))],
      ['UTF-8 encoded surrogate', header(Buffer.from([0x61, 0x3a, 0xed, 0xa0, 0x80]))],
      ['latin-1 bytes in the header', 'Basic \u00ff\u00fe\u00fd\u00fc'],
      ['over-long header', header(`${'a'.repeat(3000)}@example.com:${'b'.repeat(3000)}`)],
      ['several headers', [header('a@example.com:secret'), header('b@example.com:secret')]],
    ];
    for (const [label, h] of cases) assert.deepEqual(parseBasic(h), MALFORMED, label);
  });

  it('bounds the header length at 4096 characters', () => {
    const atLimit = `Basic ${b64(`u:${'p'.repeat(3065)}`).replace(/=+$/, '')}`;
    assert.equal(atLimit.length, 4096);
    assert.deepEqual(parseBasic(atLimit), ok('u', 'p'.repeat(3065)));
    const over = `Basic ${b64(`u:${'p'.repeat(3066)}`)}`;
    assert.ok(over.length > 4096);
    assert.deepEqual(parseBasic(over), MALFORMED);
  });

  it('is total: arbitrary strings never throw and only yield one of the three kinds', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ maxLength: 40 }).map((s) => `Basic ${s}`)), (h) => {
        const r = parseBasic(h);
        assert.ok(r.kind === 'ok' || r.kind === 'malformed', h);
      }),
      { numRuns: 2000 },
    );
  });

  it('is total on arbitrary bytes behind a valid scheme, and whatever it accepts is clean', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const r = parseBasic(header(Buffer.from(bytes)));
        if (r.kind === 'ok') {
          assert.ok(r.user.length > 0 && r.password.length > 0);
          assert.ok(!r.user.includes(':'));
          // eslint-disable-next-line no-control-regex
          assert.ok(!/[\u0000-\u001f\u007f]/.test(r.user + r.password));
          assert.deepEqual(Buffer.from(`${r.user}:${r.password}`, 'utf8'), Buffer.from(bytes));
        } else {
          assert.equal(r.kind, 'malformed');
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips any clean user and password', () => {
    // eslint-disable-next-line no-control-regex
    const clean = (s: string) => s.length > 0 && !/[\u0000-\u001f\u007f]/.test(s) && Buffer.from(s, 'utf8').toString('utf8') === s;
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }).filter((s) => clean(s) && !s.includes(':')),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }).filter(clean),
        (user, password) => {
          assert.deepEqual(parseBasic(header(`${user}:${password}`)), ok(user, password));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
