// The operator's commands: companies, administrators, members and applications (BookingBug), and disabling accounts,
// written through the core on the same DATABASE_URL as the server. `--json` prints one JSON object on stdout;
// every mistake is a message on stderr and a non-zero exit, with nothing written.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig } from '../config.js';
import type { RequestContext } from '../core/context.js';
import { CoreError } from '../core/errors.js';
import { createCore, type Core } from '../core/index.js';
import { loadSecrets } from '../core/keys.js';
import { isRole, ROLES } from '../core/companies.js';
import { developmentTransport } from '../mail/transports.js';
import { openStore } from '../server.js';
import type { AccountRow } from '../store/store.js';
import { emailKey } from '../core/validate.js';
import { printJsonLines, type Command } from './command.js';

export const OPERATOR_USAGE = `  company create --name NAME [--parent ID]
  company list   (every company: id, name, parent)
  admin create   --company ID --email EMAIL (--password PASSWORD | --password-stdin) --name NAME
                 [--role ${ROLES.join('|')}]
  member create  --company ID --email EMAIL (--password PASSWORD | --password-stdin)
                 --first-name F --last-name L
  app create     --company ID --name NAME [--no-key]   (prints app_id and, once, app_key)
  app revoke     APP_ID
  app list       [--company ID]
  account disable --email EMAIL   (every session, token and reset code dies; logins answer "Account has been disabled")
  account enable  --email EMAIL
  account revoke  --email EMAIL   (every session, Auth-Token, reset code and the API token die; the password stays)
  account list    [--company ID] [--query TEXT] [--limit N]   (by id; --query matches email or name; N defaults to 100)
  account show    --email EMAIL   (the account, its state and its administrator and member records)
  Each takes --json to print exactly one JSON object on stdout (lists: one per line).`;

/** The usage lines of one noun, or of one subcommand (`account list`), for `--help`. */
export function operatorUsage(noun: string, verb?: string): string {
  const blocks: string[][] = [];
  for (const line of OPERATOR_USAGE.split('\n')) {
    if (/^ {2}\S/.test(line)) blocks.push([line]);
    else blocks.at(-1)?.push(line);
  }
  const prefix = verb !== undefined && !verb.startsWith('-') ? `  ${noun} ${verb}` : `  ${noun} `;
  let picked = blocks.filter((b) => (b[0] as string).startsWith(prefix));
  if (picked.length === 0) picked = blocks.filter((b) => (b[0] as string).startsWith(`  ${noun} `));
  const lines = picked.map((b) => b.map((l, i) => (i === 0 ? l.replace(/^ {2}/, '  gatehouse ') : `          ${l}`)).join('\n'));
  return `usage:\n${lines.join('\n')}\n\n  --json prints JSON on stdout (one object; lists: one object per line).`;
}

/** A mistake in how the command was called: exit 2 with the usage. */
export class UsageError extends Error {}
/** A request the core refused (unknown company, bad email, ...): exit 1. */
export class OperatorError extends Error {}

const CTX: RequestContext = { ip: 'cli', userAgent: 'gatehouse-cli', operator: true };

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | undefined>;

function parse(args: string[], options: Options, positionals = 0): { values: Values; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, json: { type: 'boolean' } }, allowPositionals: positionals > 0, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (parsed.positionals.length !== positionals) throw new UsageError(`expected ${positionals} argument(s), got ${parsed.positionals.length}`);
  return { values: parsed.values as Values, positionals: parsed.positionals };
}

function required(values: Values, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

function id(values: Values, name: string, optional: true): number | undefined;
function id(values: Values, name: string): number;
function id(values: Values, name: string, optional = false): number | undefined {
  const v = values[name];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  if (!/^[1-9][0-9]{0,14}$/.test(v)) throw new UsageError(`--${name} must be a positive whole number, got "${v}"`);
  return Number(v);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** --password or --password-stdin (at most one); undefined when neither is given. */
async function password(values: Values): Promise<string | undefined> {
  const inline = values.password;
  if (inline !== undefined && values['password-stdin']) throw new UsageError('give --password or --password-stdin, not both');
  if (values['password-stdin']) {
    const p = await readStdin();
    if (p === '') throw new UsageError('--password-stdin read an empty password');
    return p;
  }
  if (typeof inline === 'string' && inline === '') throw new UsageError('--password is empty');
  return typeof inline === 'string' ? inline : undefined;
}

interface Output {
  json: Record<string, unknown>;
  /** A list: printed with --json as one JSON object per line (instead of `json`). */
  lines?: object[];
  text: string;
}

function accountSummary(a: AccountRow) {
  return {
    id: a.id,
    public_id: a.public_id,
    email: a.email,
    fullname: a.fullname,
    state: a.closed_at !== null ? 'closed' : a.disabled_at !== null ? 'disabled' : 'open',
    created_at: new Date(a.created_at).toISOString(),
  };
}

async function withCore<T>(run: (core: Core) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const store = await openStore(config);
  const core = createCore({ config, store, secrets: loadSecrets(config.secrets, config.dataDir), mail: developmentTransport(), log: { warn: () => undefined } });
  try {
    return await run(core);
  } catch (err) {
    if (err instanceof CoreError) throw new OperatorError(err.extra.problems?.map((p) => p.message).join('; ') ?? err.message);
    throw err;
  } finally {
    await store.close();
  }
}

async function dispatch(noun: string, verb: string | undefined, args: string[]): Promise<{ out: Output; json: boolean }> {
  const key = `${noun} ${verb ?? ''}`;
  switch (key) {
    case 'company create': {
      const { values } = parse(args, { name: { type: 'string' }, parent: { type: 'string' } });
      const name = required(values, 'name');
      const parent = id(values, 'parent', true);
      const c = await withCore((core) => core.companies.create(name, parent, CTX));
      return {
        json: values.json === true,
        out: { json: { id: c.id, name: c.name, parent_id: c.parent_id }, text: `company ${c.id} created: ${c.name}${c.parent_id === null ? '' : ` (child of ${c.parent_id})`}` },
      };
    }
    case 'admin create': {
      const { values } = parse(args, {
        company: { type: 'string' },
        email: { type: 'string' },
        password: { type: 'string' },
        'password-stdin': { type: 'boolean' },
        name: { type: 'string' },
        role: { type: 'string' },
      });
      const companyId = id(values, 'company');
      const email = required(values, 'email');
      const name = required(values, 'name');
      const role = typeof values.role === 'string' ? values.role : 'owner';
      if (!isRole(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got "${role}"`);
      const pw = await password(values);
      const a = await withCore((core) => core.companies.addAdministrator({ companyId, email, password: pw, name, role }, CTX));
      return {
        json: values.json === true,
        out: {
          json: { id: a.id, company_id: a.company_id, account_id: a.account_id, email: a.email, name: a.name, role: a.role },
          text: `administrator ${a.id} created: ${a.email} (${a.role}) of company ${a.company_id}`,
        },
      };
    }
    case 'member create': {
      const { values } = parse(args, {
        company: { type: 'string' },
        email: { type: 'string' },
        password: { type: 'string' },
        'password-stdin': { type: 'boolean' },
        'first-name': { type: 'string' },
        'last-name': { type: 'string' },
      });
      const companyId = id(values, 'company');
      const email = required(values, 'email');
      const firstName = required(values, 'first-name');
      const lastName = required(values, 'last-name');
      const pw = await password(values);
      const m = await withCore((core) => core.companies.addMember({ companyId, email, password: pw, firstName, lastName }, CTX));
      return {
        json: values.json === true,
        out: {
          json: { id: m.id, company_id: m.company_id, account_id: m.account_id, email: m.email, first_name: m.first_name, last_name: m.last_name },
          text: `member ${m.id} created: ${m.email} of company ${m.company_id}`,
        },
      };
    }
    case 'app create': {
      const { values } = parse(args, { company: { type: 'string' }, name: { type: 'string' }, 'no-key': { type: 'boolean' } });
      const companyId = id(values, 'company');
      const name = required(values, 'name');
      const a = await withCore((core) => core.applications.create(companyId, name, values['no-key'] !== true, CTX));
      return {
        json: values.json === true,
        out: {
          json: { app_id: a.appId, app_key: a.appKey ?? null, name: a.name, company_id: a.companyId },
          text: [`application created for company ${a.companyId}: ${a.name}`, `App-Id:  ${a.appId}`, a.appKey ? `App-Key: ${a.appKey}   (shown only now; it is stored as a digest)` : 'App-Key: none (--no-key)'].join('\n'),
        },
      };
    }
    case 'app revoke': {
      const { values, positionals } = parse(args, {}, 1);
      const appId = positionals[0] as string;
      const revoked = await withCore((core) => core.applications.revoke(appId, CTX));
      if (!revoked) throw new OperatorError(`no live application with App-Id "${appId}"`);
      return { json: values.json === true, out: { json: { app_id: appId, revoked: true }, text: `application ${appId} revoked` } };
    }
    case 'app list': {
      const { values } = parse(args, { company: { type: 'string' } });
      const companyId = id(values, 'company', true);
      const apps = await withCore((core) => core.applications.list(companyId));
      const rows = apps.map((a) => ({
        app_id: a.appId,
        name: a.name,
        company_id: a.companyId,
        has_key: a.hasKey,
        created_at: new Date(a.createdAt).toISOString(),
        revoked_at: a.revokedAt === null ? null : new Date(a.revokedAt).toISOString(),
      }));
      const text = rows.length === 0 ? 'no applications' : rows.map((r) => `${r.app_id}  company ${r.company_id}  ${r.has_key ? 'key' : 'no key'}  ${r.revoked_at ? 'REVOKED' : 'live'}  ${r.name}`).join('\n');
      return { json: values.json === true, out: { json: { applications: rows }, text } };
    }
    case 'account disable':
    case 'account enable': {
      const { values } = parse(args, { email: { type: 'string' } });
      const email = required(values, 'email');
      const disable = verb === 'disable';
      const r = await withCore((core) => core.accounts.setDisabled(email, disable, CTX));
      if (!r) throw new OperatorError(`no open account with email "${email}"`);
      const state = disable ? 'disabled' : 'enabled';
      return {
        json: values.json === true,
        out: { json: { account_id: r.accountId, email, disabled: disable, changed: r.changed }, text: `account ${r.accountId} ${r.changed ? state : `was already ${state}`}` },
      };
    }
    case 'account revoke': {
      const { values } = parse(args, { email: { type: 'string' } });
      const email = required(values, 'email');
      const r = await withCore((core) => core.accounts.revokeAll(email, CTX));
      if (!r) throw new OperatorError(`no open account with email "${email}"`);
      return {
        json: values.json === true,
        out: { json: { account_id: r.accountId, email, revoked_sessions: r.revoked }, text: `account ${r.accountId}: ${r.revoked} session(s) revoked, API token replaced` },
      };
    }
    case 'company list': {
      const { values } = parse(args, {});
      const rows = (await withCore((core) => core.store.listCompanies())).map((c) => ({ id: c.id, name: c.name, parent_id: c.parent_id, created_at: new Date(c.created_at).toISOString() }));
      const text = rows.length === 0 ? 'no companies' : rows.map((c) => `${c.id}  ${c.name}${c.parent_id === null ? '' : `  (child of ${c.parent_id})`}`).join('\n');
      return { json: values.json === true, out: { json: {}, lines: rows, text } };
    }
    case 'account list': {
      const { values } = parse(args, { company: { type: 'string' }, query: { type: 'string' }, limit: { type: 'string' } });
      const companyId = id(values, 'company', true);
      const limit = values.limit === undefined ? 100 : id(values, 'limit');
      const query = typeof values.query === 'string' ? values.query : undefined;
      const accounts = await withCore((core) => core.store.listAccounts({ companyId, query, limit }));
      const rows = accounts.map(accountSummary);
      const text = rows.length === 0 ? 'no accounts' : rows.map((a) => `${a.id}  ${a.public_id}  ${a.state.padEnd(8)}  ${a.email ?? '-'}  ${a.fullname}`).join('\n');
      return { json: values.json === true, out: { json: {}, lines: rows, text } };
    }
    case 'account show': {
      const { values } = parse(args, { email: { type: 'string' } });
      const email = required(values, 'email');
      const shown = await withCore(async (core) => {
        const account = await core.store.accountByEmailKey(emailKey(email));
        if (!account) return undefined;
        return {
          ...accountSummary(account),
          timezone: account.timezone,
          updated_at: new Date(account.updated_at).toISOString(),
          has_password: account.password_hash !== null,
          administrators: (await core.store.administratorsOfAccount(account.id)).map((a) => ({ id: a.id, company_id: a.company_id, name: a.name, role: a.role })),
          members: (await core.store.membersOfAccount(account.id)).map((m) => ({ id: m.id, company_id: m.company_id, first_name: m.first_name, last_name: m.last_name })),
        };
      });
      if (!shown) throw new OperatorError(`no account with email "${email}"`);
      const text = [
        `account ${shown.id} (${shown.public_id}) ${shown.state}`,
        `email:    ${shown.email ?? '-'}`,
        `name:     ${shown.fullname}`,
        `created:  ${shown.created_at}`,
        ...shown.administrators.map((a) => `administrator ${a.id} of company ${a.company_id} (${a.role})`),
        ...shown.members.map((m) => `member ${m.id} of company ${m.company_id}`),
      ].join('\n');
      return { json: values.json === true, out: { json: shown, text } };
    }
    default:
      throw new UsageError(`unknown command "gatehouse ${key.trim()}"`);
  }
}

/** Runs one operator command; returns the exit code. */
export async function runOperator(noun: string, rest: string[]): Promise<number> {
  const [verb, ...args] = rest;
  try {
    const { out, json } = await dispatch(noun, verb, args);
    if (json && out.lines) printJsonLines(out.lines);
    else console.log(json ? JSON.stringify(out.json) : out.text);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`gatehouse ${noun}: ${err.message}\n\n${operatorUsage(noun, verb)}`);
      return 2;
    }
    if (err instanceof OperatorError) {
      console.error(`gatehouse ${noun}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

/** The operator nouns as commands for main.ts's table. */
function operatorCommand(name: string, summary: string): Command {
  return { name, summary, usage: (args) => operatorUsage(name, args[0]), run: (args) => runOperator(name, args) };
}

export const OPERATOR_COMMANDS: Command[] = [
  operatorCommand('company', 'create and list companies (BookingBug)'),
  operatorCommand('admin', 'create company administrators'),
  operatorCommand('member', 'create company members'),
  operatorCommand('app', 'create, revoke and list applications (App-Id / App-Key)'),
  operatorCommand('account', 'list, show, disable, enable an account, or revoke all its sessions'),
];
