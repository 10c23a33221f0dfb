// Kysely's values, from its CommonJS build. Its ESM build is some 290 modules that Node links one by one at
// start, which cost about as much start-up time as everything else together and some 7 MB of memory (issue 9);
// the CommonJS build is the same code in the same package (its "require" export). Types still come from the
// package itself (`import type ... from 'kysely'`).
import { createRequire } from 'node:module';
import type * as KyselyModule from 'kysely';

const kysely = createRequire(import.meta.url)('kysely') as typeof KyselyModule;

export const { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } = kysely;
export type Kysely<DB> = KyselyModule.Kysely<DB>;
export type Migrator = KyselyModule.Migrator;
