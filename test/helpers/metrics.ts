// Reads a server's GET /metrics and parses it with a Prometheus text-format parser (not our own code).
// The parser keeps no labels of histogram series, so a histogram's count is read from its `_count` line.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export interface Scrape {
  families: ReturnType<typeof parsePrometheusTextFormat>;
  text: string;
}

export async function scrape(managementUrl: string): Promise<Scrape> {
  const res = await fetch(`${managementUrl}/metrics`);
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  const text = await res.text();
  return { families: parsePrometheusTextFormat(text), text };
}

function labelsOf(raw: string): Record<string, string> {
  return Object.fromEntries([...raw.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1] as string, m[2] as string]));
}

/** The sum of the series of `name` whose labels include `labels`; 0 when absent. Histograms: their count. */
export function value(s: Scrape, name: string, labels: Record<string, string> = {}): number {
  const family = s.families.find((f) => f.name === name);
  if (!family) return 0;
  const wanted = (have: Record<string, string> | undefined) => Object.entries(labels).every(([k, v]) => have?.[k] === v);
  if (family.type === 'HISTOGRAM') {
    let total = 0;
    for (const m of s.text.matchAll(new RegExp(`^${name}_count(?:\\{([^}]*)\\})? (\\S+)$`, 'gm'))) {
      if (wanted(labelsOf(m[1] ?? ''))) total += Number(m[2]);
    }
    return total;
  }
  return family.metrics.filter((m) => wanted(m.labels)).reduce((t, m) => t + Number(m.value ?? 0), 0);
}

export function has(s: Scrape, name: string): boolean {
  return s.families.some((f) => f.name === name);
}
