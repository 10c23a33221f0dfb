// Counters and histograms for the request path, kept as plain numbers and handed to prom-client's registry
// only when /metrics is read (issue 9). prom-client's own inc() and observe() check and hash their label
// object on every call: three of them per request cost about 6 µs, a fifth of a token request.
// Here a series is found by a key the caller already has (a string of its label values, made once per
// distinct key) and adding to it is a few additions; the registry asks for the values through the same
// `get()` as its own metrics, so the text of /metrics is unchanged.
import type client from 'prom-client';

type Labels = Record<string, string>;
type MetricValue = { labels: Labels; value: number; metricName?: string };
type Registered = Parameters<client.Registry['registerMetric']>[0];

/**
 * Distinct label sets kept at most per metric (label values are bounded; this is a guard, not a limit in use):
 * past it, observations are counted in one series under the metric's overflow labels.
 */
export const MAX_SERIES = 5000;

interface Row<T> {
  readonly labels: Labels;
  data: T;
}

/** The rows of one metric by key; `make` builds a row's labels the first time a key is seen. */
class Rows<T> {
  private readonly rows = new Map<string, Row<T>>();
  private readonly overflow: Row<T>;
  private overflowed = false;

  constructor(
    private readonly empty: () => T,
    overflowLabels: Labels,
  ) {
    this.overflow = { labels: overflowLabels, data: empty() };
  }

  get(key: string, make: () => Labels): T {
    let row = this.rows.get(key);
    if (row === undefined) {
      if (this.rows.size >= MAX_SERIES) {
        this.overflowed = true;
        return this.overflow.data;
      }
      row = { labels: make(), data: this.empty() };
      this.rows.set(key, row);
    }
    return row.data;
  }

  /** Every series, and the overflow series once something was counted in it. */
  all(): Array<Row<T>> {
    const all = [...this.rows.values()];
    if (this.overflowed) all.push(this.overflow);
    return all;
  }

  clear(): void {
    this.rows.clear();
    this.overflow.data = this.empty();
    this.overflowed = false;
  }
}

abstract class Metric {
  readonly aggregator = 'sum' as const;

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  abstract readonly type: 'counter' | 'histogram';
  protected abstract values(): MetricValue[];
  abstract reset(): void;

  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValue[] }> {
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.values() });
  }

  /** Adds this metric to a prom-client registry (it asks for `get()` when /metrics is read). */
  registerIn(registry: client.Registry): this {
    registry.registerMetric(this as unknown as Registered);
    return this;
  }
}

/** A counter whose series are found by key. */
export class FastCounter extends Metric {
  readonly type = 'counter' as const;
  private readonly rows: Rows<{ n: number }>;

  constructor(name: string, help: string, overflowLabels: Labels) {
    super(name, help);
    this.rows = new Rows(() => ({ n: 0 }), overflowLabels);
  }

  /** Adds `n` to the series of `key`; `labels` is called once, when the key is new. */
  add(key: string, labels: () => Labels, n = 1): void {
    this.rows.get(key, labels).n += n;
  }

  protected values(): MetricValue[] {
    return this.rows.all().map((r) => ({ labels: r.labels, value: r.data.n }));
  }

  reset(): void {
    this.rows.clear();
  }
}

export interface HistogramSeries {
  count: number;
  sum: number;
  /** Observations per bucket (not cumulative); the last one is above every bound. */
  buckets: number[];
}

/** A histogram whose series are found by key; `countsAs` also publishes its counts as a counter. */
export class FastHistogram extends Metric {
  readonly type = 'histogram' as const;
  private readonly rows: Rows<HistogramSeries>;

  constructor(
    name: string,
    help: string,
    private readonly bounds: readonly number[],
    overflowLabels: Labels,
  ) {
    super(name, help);
    this.rows = new Rows(() => ({ count: 0, sum: 0, buckets: new Array<number>(bounds.length + 1).fill(0) }), overflowLabels);
  }

  /** The series of `key` (hold on to it to observe into it again). */
  series(key: string, labels: () => Labels): HistogramSeries {
    return this.rows.get(key, labels);
  }

  observe(series: HistogramSeries, value: number): void {
    series.count++;
    series.sum += value;
    let i = 0;
    while (i < this.bounds.length && value > (this.bounds[i] as number)) i++;
    series.buckets[i] = (series.buckets[i] as number) + 1;
  }

  protected values(): MetricValue[] {
    const out: MetricValue[] = [];
    for (const { labels, data } of this.rows.all()) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += data.buckets[i] as number;
        out.push({ labels: { ...labels, le: String(le) }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      out.push({ labels: { ...labels, le: '+Inf' }, value: data.count, metricName: `${this.name}_bucket` });
      out.push({ labels, value: data.sum, metricName: `${this.name}_sum` });
      out.push({ labels, value: data.count, metricName: `${this.name}_count` });
    }
    return out;
  }

  /** A counter of the same series' counts, under its own name (requests_total from the duration histogram). */
  countsAs(name: string, help: string): Metric {
    const rows = this.rows;
    return new (class extends Metric {
      readonly type = 'counter' as const;
      protected values(): MetricValue[] {
        return rows.all().map((r) => ({ labels: r.labels, value: r.data.count }));
      }
      reset(): void {}
    })(name, help);
  }

  reset(): void {
    this.rows.clear();
  }
}
