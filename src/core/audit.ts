// The audit log: security events appended with time, account, client address and user agent.
// Callers pass no secrets; details are short facts (a session kind, a count).
import type { Store } from '../store/store.js';
import type { Clock, RequestContext } from './context.js';
import { observe } from './metrics.js';

export type AuditEvent =
  | 'signup'
  | 'login.success'
  | 'login.failure'
  | 'login.lockout'
  | 'logout'
  | 'password.change'
  | 'password.reset.request'
  | 'password.reset.complete'
  | 'api_token.reset'
  | 'sessions.revoke'
  | 'email.change'
  | 'account.close'
  | 'account.disable'
  | 'account.enable'
  | 'login.refused.disabled'
  | 'company.create'
  | 'administrator.create'
  | 'member.create'
  | 'application.create'
  | 'application.revoke'
  | 'session.switch_company';

export class AuditLog {
  constructor(private readonly clock: Clock) {}

  async record(
    store: Store,
    event: AuditEvent,
    accountId: number | null,
    ctx: RequestContext | undefined,
    detail?: Record<string, string | number | boolean>,
  ): Promise<void> {
    await store.appendAudit({
      at: this.clock.now(),
      event,
      account_id: accountId,
      ip: ctx?.ip ?? null,
      user_agent: ctx?.userAgent?.slice(0, 512) ?? null,
      detail: detail === undefined ? null : JSON.stringify(detail),
    });
    observe.audited(event, detail);
  }
}
