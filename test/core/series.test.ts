// The request path's metrics (src/observe/series.ts), read through a real prom-client registry as /metrics
// reads them: counters and histograms by key, the requests counter made from the histogram's counts, and the
// overflow series past MAX_SERIES distinct label sets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import client from 'prom-client';
import { FastCounter, FastHistogram, MAX_SERIES } from '../../src/observe/series.js';

function lines(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(name));
}

describe('request-path metrics', () => {
  it('a histogram writes cumulative buckets, +Inf, sum and count per series, and its counts as a counter', async () => {
    const registry = new client.Registry();
    const h = new FastHistogram('t_seconds', 'time', [0.1, 1], { route: '(other)' }).registerIn(registry);
    h.countsAs('t_total', 'count').registerIn(registry);
    const a = h.series('a', () => ({ route: '/a' }));
    for (const v of [0.05, 0.1, 0.5, 3]) h.observe(a, v);
    h.observe(h.series('b', () => ({ route: '/b' })), 0.2);
    const text = await registry.metrics();
    assert.deepEqual(lines(text, 't_seconds_bucket{route="/a"'), [
      't_seconds_bucket{route="/a",le="0.1"} 2',
      't_seconds_bucket{route="/a",le="1"} 3',
      't_seconds_bucket{route="/a",le="+Inf"} 4',
    ]);
    assert.deepEqual(lines(text, 't_seconds_sum{route="/a"}'), ['t_seconds_sum{route="/a"} 3.65']);
    assert.deepEqual(lines(text, 't_seconds_count'), ['t_seconds_count{route="/a"} 4', 't_seconds_count{route="/b"} 1']);
    assert.deepEqual(lines(text, 't_total'), ['t_total{route="/a"} 4', 't_total{route="/b"} 1']);
    assert.match(text, /# TYPE t_seconds histogram/);
    assert.match(text, /# TYPE t_total counter/);
  });

  it('a counter adds by key; past MAX_SERIES label sets, the rest is counted under the overflow labels', async () => {
    const registry = new client.Registry();
    const c = new FastCounter('c_total', 'count', { key: '(other)' }).registerIn(registry);
    for (let i = 0; i < MAX_SERIES + 3; i++) c.add(String(i), () => ({ key: String(i) }), 2);
    c.add('0', () => ({ key: '0' }));
    const text = await registry.metrics();
    assert.deepEqual(lines(text, 'c_total{key="0"}'), ['c_total{key="0"} 3']);
    assert.deepEqual(lines(text, 'c_total{key="(other)"}'), ['c_total{key="(other)"} 6']);
    assert.equal(lines(text, 'c_total{').length, MAX_SERIES + 1);
  });
});
