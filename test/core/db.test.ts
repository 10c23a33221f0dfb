// security.md, Data: "An acknowledged write survives a crash of the process (SQLite in WAL mode with a
// durable sync setting)". journal_mode persists in the file (crash.test.ts checks it from outside), but
// synchronous is a setting of each connection: it is checked on the connection the server opens.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { openDatabase } from '../../src/store/db.js';

describe('the SQLite connection', () => {
  it('runs in WAL mode with synchronous=FULL', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-db-'));
    const { db } = openDatabase({ kind: 'sqlite', file: path.join(dir, 'g.db') });
    try {
      const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db);
      assert.equal(mode.rows[0]?.journal_mode, 'wal');
      const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(db);
      assert.equal(sync.rows[0]?.synchronous, 2, 'FULL (2)');
    } finally {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
