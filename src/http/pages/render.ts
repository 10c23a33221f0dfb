// Renders the account pages from Mustache templates and one string catalogue. Mustache escapes every
// `{{value}}` by default and runs no code, so an operator's templates (PAGES_DIR) cannot execute anything and
// cannot forget to escape; the only unescaped slot is the layout's `{{{body}}}`, our own rendered page.
// Files in PAGES_DIR win over the shipped ones of the same name: `<page>.mustache`, `strings.json` (merged
// key by key over the shipped catalogue) and `assets/<file>` (served under /assets/). All are read at start.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Mustache from 'mustache';
import { packageRoot } from '../../package-root.js';

export type Strings = { [key: string]: string | Strings };

export interface Asset {
  body: Buffer;
  type: string;
}

const ASSET_TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
};

/** File names served from assets/: lower-case, one extension we know the type of. */
export const ASSET_NAME = '^[a-z0-9][a-z0-9_-]{0,63}\\.(css|js|png|svg|ico|webp|woff2)$';

/** The folder of this module's sources (src/http/pages), shipped beside dist/. */
export function shippedPagesDir(): string {
  return path.join(packageRoot(), 'src', 'http', 'pages');
}

function merge(base: Strings, over: Strings): Strings {
  const out: Strings = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = typeof v === 'object' && v !== null && typeof b === 'object' ? merge(b, v) : v;
  }
  return out;
}

/** Replaces `{name}` placeholders of a catalogue string. */
export function format(text: string, vars: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

export class PageRenderer {
  readonly strings: Strings;
  private readonly templates = new Map<string, string>();
  private readonly assets = new Map<string, Asset>();

  constructor(shippedDir: string, overrideDir: string | undefined) {
    const readJson = (file: string): Strings => JSON.parse(readFileSync(file, 'utf8')) as Strings;
    let strings = readJson(path.join(shippedDir, 'strings.json'));
    const overrideStrings = overrideDir ? path.join(overrideDir, 'strings.json') : undefined;
    if (overrideStrings && existsSync(overrideStrings)) strings = merge(strings, readJson(overrideStrings));
    this.strings = strings;

    for (const dir of [path.join(shippedDir, 'templates'), ...(overrideDir ? [overrideDir, path.join(overrideDir, 'templates')] : [])]) {
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir)) if (f.endsWith('.mustache')) this.templates.set(f.slice(0, -'.mustache'.length), readFileSync(path.join(dir, f), 'utf8'));
    }
    const pattern = new RegExp(ASSET_NAME);
    for (const dir of [path.join(shippedDir, 'assets'), ...(overrideDir ? [path.join(overrideDir, 'assets')] : [])]) {
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir)) {
        const full = path.join(dir, f);
        const type = ASSET_TYPES[path.extname(f)];
        if (pattern.test(f) && type && statSync(full).isFile()) this.assets.set(f, { body: readFileSync(full), type });
      }
    }
  }

  /** A catalogue string by dotted key (the key itself when missing, so a gap is visible, not fatal). */
  t(key: string, vars: Record<string, string | number> = {}): string {
    let node: string | Strings | undefined = this.strings;
    for (const part of key.split('.')) node = typeof node === 'object' ? node[part] : undefined;
    return typeof node === 'string' ? format(node, vars) : key;
  }

  asset(name: string): Asset | undefined {
    return this.assets.get(name);
  }

  private template(name: string): string {
    const t = this.templates.get(name);
    if (t === undefined) throw new Error(`account pages: no template ${name}.mustache`);
    return t;
  }

  /** A whole page: `name`'s template inside the layout, with the catalogue as `t`. */
  page(name: string, title: string, view: Record<string, unknown>, layout: Record<string, unknown> = {}): string {
    const partials = (partial: string) => this.templates.get(partial);
    const body = Mustache.render(this.template(name), { ...view, t: this.strings }, partials);
    return Mustache.render(this.template('layout'), { ...layout, title, body, t: this.strings }, partials);
  }
}
