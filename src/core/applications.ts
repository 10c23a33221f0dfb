// Applications: the App-Id (public) and optional App-Key (secret, 128 bits, shown once, stored only as an
// HMAC digest and compared in constant time) that every BookingBug request names, and the company they serve.
import type { ApplicationRow } from '../store/store.js';
import type { RequestContext } from './context.js';
import { randomHex, safeEqual } from './crypto.js';
import type { CoreDeps } from './deps.js';
import { CoreError, invalidInput } from './errors.js';
import { companyNotFound } from './companies.js';
import { validFullname } from './validate.js';

export interface ApplicationView {
  appId: string;
  name: string;
  companyId: number;
  hasKey: boolean;
  createdAt: number;
  revokedAt: number | null;
}

export interface CreatedApplication extends ApplicationView {
  /** The App-Key in plain text: shown once, never stored. */
  appKey: string | undefined;
}

const APP_ID = /^[0-9a-f]{16}$/;
const APP_KEY_MAX = 256;
/** The App-Key last verified against an application row (a salted digest of it), kept as long as the row. */
const verifiedKeys = new WeakMap<ApplicationRow, string>();

export const invalidApplication = () => new CoreError('invalid_application', 'Invalid App-Id or App-Key');

export function applicationView(a: ApplicationRow): ApplicationView {
  return { appId: a.app_id, name: a.name, companyId: a.company_id, hasKey: a.key_digest !== null, createdAt: a.created_at, revokedAt: a.revoked_at };
}

export class Applications {
  constructor(private readonly d: CoreDeps) {}

  async create(companyId: number, name: string, withKey: boolean, ctx: RequestContext): Promise<CreatedApplication> {
    const { store, keyring, clock, audit } = this.d;
    if (!validFullname(name)) throw invalidInput([{ field: 'name', message: 'Invalid name' }]);
    const appKey = withKey ? randomHex(16) : undefined;
    const row = {
      app_id: randomHex(8),
      key_digest: appKey === undefined ? null : keyring.digest('app-key', appKey),
      company_id: companyId,
      name: name.trim(),
      created_at: clock.now(),
      revoked_at: null,
    };
    const id = await store.transaction(async (tx) => {
      if (!(await tx.companyById(companyId))) throw companyNotFound();
      const id = await tx.insertApplication(row);
      await audit.record(tx, 'application.create', null, ctx, { application: row.app_id, company: companyId, key: withKey });
      return id;
    });
    return { ...applicationView({ id, ...row }), appKey };
  }

  async revoke(appId: string, ctx: RequestContext): Promise<boolean> {
    const { store, clock, audit } = this.d;
    return store.transaction(async (tx) => {
      const revoked = await tx.revokeApplication(appId, clock.now());
      if (revoked) await audit.record(tx, 'application.revoke', null, ctx, { application: appId });
      return revoked;
    });
  }

  async list(companyId?: number): Promise<ApplicationView[]> {
    return (await this.d.store.applications(companyId)).map(applicationView);
  }

  /**
   * The live application of App-Id and App-Key when memory alone vouches for both (the row cached, the key
   * verified against it before); undefined when memory cannot say (then `check` decides). Issue 9: no store
   * and no promise on the hot path.
   */
  checkInMemory(appId: string | undefined, appKey: string | undefined): ApplicationRow | undefined {
    if (appId === undefined || !APP_ID.test(appId)) return undefined;
    const app = this.d.cache.get<ApplicationRow>(`app:${appId}`);
    if (!app) return undefined;
    if (app.key_digest === null) return app;
    if (appKey === undefined || appKey.length === 0 || appKey.length > APP_KEY_MAX) return undefined;
    return verifiedKeys.get(app) === this.d.cache.secretDigest(appKey) ? app : undefined;
  }

  /** The live application named by App-Id whose App-Key (when it has one) matches; throws otherwise. */
  async check(appId: string | undefined, appKey: string | undefined): Promise<ApplicationRow> {
    const known = this.checkInMemory(appId, appKey);
    if (known) return known;
    if (appId === undefined || !APP_ID.test(appId)) throw invalidApplication();
    // In memory while live; revoking it drops the entry in every process (credential-cache.ts). The App-Key
    // is compared on every request: here with the keyed digests, or in checkInMemory with the one remembered.
    const key = `app:${appId}`;
    let app = this.d.cache.get<ApplicationRow>(key);
    if (!app) {
      const generation = this.d.cache.generation;
      app = await this.d.store.applicationByAppId(appId);
      if (!app || app.revoked_at !== null) throw invalidApplication();
      this.d.cache.set(key, [`app:${appId}`], app, generation);
    }
    if (app.key_digest !== null) {
      if (appKey === undefined || appKey.length === 0 || appKey.length > APP_KEY_MAX) throw invalidApplication();
      const digests = this.d.keyring.digests('app-key', appKey);
      // Every candidate is compared, so the time does not depend on which key matched.
      let ok = false;
      for (const d of digests) ok = safeEqual(d, app.key_digest) || ok;
      if (!ok) throw invalidApplication();
      // Remembered with the row, by a salted digest (issue 9: checkInMemory answers the next request without
      // the keyed digests above); a revoked application is a new row.
      verifiedKeys.set(app, this.d.cache.secretDigest(appKey));
    }
    return app;
  }
}
