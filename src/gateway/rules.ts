// Gateway route rules: which credential a path of the protected API needs. A rule names path patterns
// (`/api/v9/**`: `*` one segment, `**` any number of segments, `{name}` one segment captured by name),
// optional methods, and a requirement. The first matching rule wins; the operator's rules (GATEWAY_RULES,
// a JSON file) come before the defaults, and a path no rule covers is refused (404).
import { readFileSync } from 'node:fs';

export const REQUIREMENTS = ['toggl', 'bookingbug-admin', 'bookingbug-app', 'public', 'deny'] as const;
export type Requirement = (typeof REQUIREMENTS)[number];

export interface Rule {
  /** Shown in the request log (`gatewayRule`) and metrics. */
  name: string;
  path: string;
  /** Upper-case methods; undefined: every method. */
  methods: string[] | undefined;
  require: Requirement;
  /** Pass the client's credentials (Authorization, Gatehouse's cookies, App-Key, Auth-Token) to the upstream. */
  passCredentials: boolean;
}

export interface Match {
  rule: Rule;
  params: Record<string, string>;
}

export const DEFAULT_RULES: readonly Rule[] = [
  { name: 'toggl-v9', path: '/api/v9/**', methods: undefined, require: 'toggl', passCredentials: false },
  { name: 'toggl-v8', path: '/api/v8/**', methods: undefined, require: 'toggl', passCredentials: false },
  { name: 'bookingbug-admin', path: '/api/v1/admin/{company_id}/**', methods: undefined, require: 'bookingbug-admin', passCredentials: false },
  { name: 'bookingbug-app', path: '/api/v1/**', methods: undefined, require: 'bookingbug-app', passCredentials: false },
];

/** What no rule covers. */
export const NO_RULE: Rule = { name: 'none', path: '/**', methods: undefined, require: 'deny', passCredentials: false };

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const SEGMENT = /^(\*\*|\*|\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z0-9._~!$&'()+,;=:@%-]+)$/;

/** Throws with a message saying what is wrong with a path pattern. */
function checkPattern(pattern: string): void {
  if (!pattern.startsWith('/')) throw new Error(`path "${pattern}" must start with /`);
  const segments = pattern.split('/').slice(1);
  segments.forEach((s, i) => {
    if (pattern === '/') return;
    if (!SEGMENT.test(s)) throw new Error(`path "${pattern}" has an invalid segment "${s}"`);
    if (s === '**' && i !== segments.length - 1) throw new Error(`path "${pattern}": ** may only be the last segment`);
  });
}

function segmentsOf(path: string): string[] {
  return path.split('/').slice(1);
}

/** Matches a request path (no query) against a pattern; the captured `{name}` segments, or undefined. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const p = segmentsOf(pattern);
  const s = segmentsOf(path);
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const seg = p[i] as string;
    if (seg === '**') return params;
    const value = s[i];
    if (value === undefined) return undefined;
    if (seg === '*') continue;
    if (seg.startsWith('{')) {
      if (value === '') return undefined;
      params[seg.slice(1, -1)] = value;
      continue;
    }
    if (seg !== value) return undefined;
  }
  return p.length === s.length ? params : undefined;
}

/** The rule for a request: the first that matches method and path, else NO_RULE. */
export function matchRule(rules: readonly Rule[], method: string, path: string): Match {
  for (const rule of rules) {
    if (rule.methods && !rule.methods.includes(method) && !(method === 'HEAD' && rule.methods.includes('GET'))) continue;
    const params = matchPath(rule.path, path);
    if (params) return { rule, params };
  }
  return { rule: NO_RULE, params: {} };
}

function parseRule(raw: unknown, index: number): Rule[] {
  const where = `rule ${index + 1}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${where} must be an object`);
  const r = raw as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (!['name', 'path', 'paths', 'methods', 'require', 'pass_credentials'].includes(key)) throw new Error(`${where}: unknown field "${key}"`);
  }
  const paths = r.paths ?? (r.path === undefined ? undefined : [r.path]);
  if (!Array.isArray(paths) || paths.length === 0 || !paths.every((p): p is string => typeof p === 'string')) {
    throw new Error(`${where}: "path" (a string) or "paths" (a list of strings) is required`);
  }
  if (typeof r.require !== 'string' || !(REQUIREMENTS as readonly string[]).includes(r.require)) {
    throw new Error(`${where}: "require" must be one of ${REQUIREMENTS.join(', ')}`);
  }
  const require = r.require as Requirement;
  let methods: string[] | undefined;
  if (r.methods !== undefined) {
    if (!Array.isArray(r.methods) || r.methods.length === 0 || !r.methods.every((m): m is string => typeof m === 'string' && METHODS.has(m.toUpperCase()))) {
      throw new Error(`${where}: "methods" must be a non-empty list of ${[...METHODS].join(', ')}`);
    }
    methods = r.methods.map((m) => m.toUpperCase());
  }
  if (r.name !== undefined && (typeof r.name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(r.name))) {
    throw new Error(`${where}: "name" must be 1-64 letters, digits, _ . -`);
  }
  if (r.pass_credentials !== undefined && typeof r.pass_credentials !== 'boolean') throw new Error(`${where}: "pass_credentials" must be true or false`);
  return paths.map((path) => {
    try {
      checkPattern(path);
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`);
    }
    if (require === 'bookingbug-admin' && !path.includes('{company_id}')) throw new Error(`${where}: a bookingbug-admin path must capture {company_id}`);
    return { name: (r.name as string | undefined) ?? `rule-${index + 1}`, path, methods, require, passCredentials: r.pass_credentials === true };
  });
}

/** Parses the rules file's text: `{"rules": [...]}` or a bare list. Throws one line naming what is wrong. */
export function parseRules(text: string): Rule[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`not valid JSON (${(err as Error).message})`);
  }
  const list = Array.isArray(doc) ? doc : typeof doc === 'object' && doc !== null ? (doc as { rules?: unknown }).rules : undefined;
  if (!Array.isArray(list)) throw new Error('expected {"rules": [...]} or a list of rules');
  return list.flatMap(parseRule);
}

/** The operator's rules (from the file, if any) followed by the defaults. */
export function loadRules(file: string | undefined): Rule[] {
  if (file === undefined) return [...DEFAULT_RULES];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return [...parseRules(text), ...DEFAULT_RULES];
}
