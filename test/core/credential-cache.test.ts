// The verified-credential cache's generation check (issue 9): a lookup that began before a revocation of one of
// its tags never fills the cache, and one that began before revocations of other tags does.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VerifiedCredentials } from '../../src/core/credential-cache.js';

const cache = () => new VerifiedCredentials({ ttlMs: 60_000, maxEntries: 1000, basicTtlMs: 60_000 });
const TAGS = ['account:1', 'session:7'];

describe('VerifiedCredentials: which fills are kept', () => {
  it('keeps a fill when nothing was invalidated since its lookup began', () => {
    const c = cache();
    const generation = c.generation;
    c.set('ses:a', TAGS, 'row', generation);
    assert.equal(c.get('ses:a'), 'row');
  });

  it('drops a fill when one of its tags was invalidated since its lookup began', () => {
    const c = cache();
    for (const tag of TAGS) {
      const generation = c.generation;
      c.invalidate([tag]);
      c.set('ses:a', TAGS, 'row read before the revocation', generation);
      assert.equal(c.get('ses:a'), undefined, tag);
    }
  });

  it('keeps a fill when only other tags were invalidated since its lookup began (another account, session or application)', () => {
    const c = cache();
    const generation = c.generation;
    c.invalidate(['account:2', 'session:8']);
    c.invalidate(['app:x']);
    c.set('ses:a', TAGS, 'row', generation);
    assert.equal(c.get('ses:a'), 'row');
  });

  it('keeps a fill whose lookup began after the invalidation of its tag', () => {
    const c = cache();
    c.invalidate(['account:1']);
    const generation = c.generation;
    c.set('ses:a', TAGS, 'row', generation);
    assert.equal(c.get('ses:a'), 'row');
  });

  it('drops every fill whose lookup began before invalidateAll', () => {
    const c = cache();
    const generation = c.generation;
    c.invalidateAll();
    c.set('ses:a', TAGS, 'row', generation);
    assert.equal(c.get('ses:a'), undefined);
  });

  it('drops a fill when the invalidations since its lookup began are more than it remembers (one of its tags may be among the forgotten)', () => {
    const c = cache();
    const generation = c.generation;
    c.invalidate(['account:1']);
    for (let i = 0; i < 10_001; i++) c.invalidate([`session:${1000 + i}`]);
    c.set('ses:a', TAGS, 'row', generation);
    assert.equal(c.get('ses:a'), undefined, 'account:1 was forgotten: the fill is not trusted');
    const later = c.generation;
    c.set('ses:b', TAGS, 'row', later);
    assert.equal(c.get('ses:b'), 'row', 'a lookup begun after all of them fills');
  });
});
