// The account page: profile, password, API token, sessions per device, close account, for the person
// signed in with the accounts session cookie. Every action is a form post to its own path; a refused
// one shows the page again with the message next to its form, a done one redirects back with a notice.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../../core/auth.js';
import { requestContext } from '../context.js';
import { clearAllCookies } from '../toggl/cookies.js';
import { deviceName } from './device.js';
import { CoreError, errorAlert, field, fieldErrors, okAlert, refusal, timezoneField, type Alert } from './forms.js';
import type { Pages } from './index.js';
import { CloseForm, EmptyForm, NoticeQuery, PasswordForm, ProfileForm, SessionParams, TAGS } from './schemas.js';

const NOTICES: Record<string, string> = {
  welcome: 'notices.welcome',
  profile: 'notices.profile',
  password: 'notices.password',
  'password-reset': 'notices.passwordReset',
  revoked: 'notices.revoked',
  'revoked-others': 'notices.revokedOthers',
};

interface AccountState {
  profile?: { values: { name: string; email: string; timezone: string }; errors: Record<string, string> };
  passwordErrors?: Record<string, string>;
  closeError?: string | undefined;
  apiToken?: string | undefined;
  alert?: Alert | undefined;
}

export async function accountRoutes(app: FastifyInstance, pages: Pages): Promise<void> {
  const { core, r } = pages;
  const min = core.config.password.minLength;

  function when(ms: number, timeZone: string): string {
    try {
      return new Intl.DateTimeFormat(r.t('lang'), { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(ms);
    } catch {
      return new Date(ms).toISOString();
    }
  }

  async function render(reply: FastifyReply, status: number, p: Principal, s: AccountState = {}): Promise<FastifyReply> {
    const csrf = pages.csrf(reply);
    const a = p.account;
    const tz = a.timezone;
    const profileValues = s.profile?.values ?? { name: a.fullname, email: a.email ?? '', timezone: tz };
    const pe = s.profile?.errors ?? {};
    const we = s.passwordErrors ?? {};
    // This device first, then the others, newest first.
    const listed = (await core.devices.list(p)).sort((x, y) => Number(y.current) - Number(x.current));
    const sessions = listed.map((d) => {
      const device = deviceName(d.userAgent) ?? r.t('account.sessions.unknownDevice');
      const created = when(d.createdAt, tz);
      return {
        id: d.id,
        current: d.current,
        device,
        kind: r.t(`account.sessions.kind.${d.kind}`),
        address: d.clientAddress ?? r.t('account.sessions.unknownAddress'),
        created,
        createdIso: new Date(d.createdAt).toISOString(),
        lastUsed: when(d.lastUsedAt, tz),
        lastUsedIso: new Date(d.lastUsedAt).toISOString(),
        revokeLabel: r.t('account.sessions.revokeLabel', { device, created }),
      };
    });
    const view = {
      csrf,
      alert: s.alert,
      user: { name: a.fullname, email: a.email ?? '' },
      profile: {
        name: field('profile-name', r.t('fields.name'), { name: 'name', autocomplete: 'name', required: true, maxlength: 100, value: profileValues.name, error: pe.fullname }),
        email: field('profile-email', r.t('fields.email'), { name: 'email', type: 'email', autocomplete: 'email', required: true, value: profileValues.email, error: pe.email }),
        timezone: timezoneField(r, 'profile-timezone', profileValues.timezone, pe.timezone, false),
      },
      passwordForm: {
        current: field('current-password', r.t('fields.currentPassword'), { name: 'current_password', type: 'password', autocomplete: 'current-password', required: true, error: we.current_password }),
        password: field('new-password', r.t('fields.newPassword'), { name: 'password', type: 'password', autocomplete: 'new-password', required: true, hint: r.t('fields.passwordHint', { min }), error: we.password }),
        confirm: field('confirm-password', r.t('fields.confirmPassword'), { name: 'confirm', type: 'password', autocomplete: 'new-password', required: true, error: we.confirm }),
      },
      apiToken: s.apiToken,
      sessions,
      hasOthers: sessions.some((x) => !x.current),
      closeForm: {
        password: field('close-password', r.t('fields.password'), { name: 'password', type: 'password', autocomplete: 'current-password', required: true, error: s.closeError }),
      },
    };
    const layout = { wide: true, signedIn: true, csrf, signedInAs: r.t('account.signedInAs', { email: a.email ?? '' }) };
    return pages.send(reply, status, 'account', r.t('account.title'), view, layout);
  }

  /** The signed-in person, or undefined after answering with a redirect to the sign-in page. */
  async function user(req: FastifyRequest, reply: FastifyReply): Promise<Principal | undefined> {
    const p = await pages.signedIn(req);
    if (!p) pages.redirect(reply, '/login?return_to=%2Faccount');
    return p;
  }

  const post = (summary: string, body: object) => ({ schema: { summary, tags: TAGS, body }, preHandler: app.csrfProtection });

  app.get<{ Querystring: NoticeQuery }>('/account', { schema: { summary: 'The account page', tags: TAGS, querystring: NoticeQuery } }, async (req, reply) => {
    const p = await user(req, reply);
    if (!p) return reply;
    const notice = req.query.done !== undefined ? NOTICES[req.query.done] : undefined;
    return render(reply, 200, p, { alert: notice ? okAlert(r.t(notice)) : undefined });
  });

  app.post<{ Body: ProfileForm }>('/account/profile', post('Save name, email and time zone', ProfileForm), async (req, reply) => {
    const p = await user(req, reply);
    if (!p) return reply;
    const b = req.body;
    try {
      await core.accounts.updateProfile(p, { fullname: b.name, email: b.email, timezone: b.timezone }, requestContext(req));
      return pages.redirect(reply, '/account?done=profile');
    } catch (err) {
      if (!(err instanceof CoreError)) throw err;
      return render(reply, 400, p, { profile: { values: { name: b.name, email: b.email, timezone: b.timezone }, errors: fieldErrors(r, core.config, err) } });
    }
  });

  app.post<{ Body: PasswordForm }>('/account/password', post('Change the password (other sessions are signed out)', PasswordForm), async (req, reply) => {
    const p = await user(req, reply);
    if (!p) return reply;
    const b = req.body;
    if (b.current_password === '') return render(reply, 400, p, { passwordErrors: { current_password: r.t('errors.passwordRequired') } });
    if (b.password !== b.confirm) return render(reply, 400, p, { passwordErrors: { confirm: r.t('errors.passwordMismatch') } });
    try {
      // The core keeps this session and kills every other one and the API token.
      await core.accounts.updateProfile(p, { currentPassword: b.current_password, password: b.password }, requestContext(req));
      return pages.redirect(reply, '/account?done=password');
    } catch (err) {
      if (!(err instanceof CoreError)) throw err;
      const refused = refusal(r, err);
      if (refused) return render(reply, refused.status, p, { alert: refused.alert });
      return render(reply, 400, p, { passwordErrors: fieldErrors(r, core.config, err) });
    }
  });

  app.post<{ Body: EmptyForm }>('/account/api-token/show', post('Show the API token', EmptyForm), async (req, reply) => {
    const p = await user(req, reply);
    if (!p) return reply;
    return render(reply, 200, p, { apiToken: core.accounts.profile(p).apiToken });
  });

  app.post<{ Body: EmptyForm }>('/account/api-token/reset', post('Replace the API token', EmptyForm), async (req, reply) => {
    const p = await user(req, reply);
    if (!p) return reply;
    const token = await core.accounts.resetApiToken(p, requestContext(req));
    return render(reply, 200, p, { apiToken: token, alert: okAlert(r.t('notices.token')) });
  });

  app.post<{ Params: SessionParams; Body: EmptyForm }>(
    '/account/sessions/:id/revoke',
    { schema: { summary: 'Revoke one session of the account (any dialect)', tags: TAGS, params: SessionParams, body: EmptyForm }, preHandler: app.csrfProtection },
    async (req, reply) => {
      const p = await user(req, reply);
      if (!p) return reply;
      await core.devices.revoke(p, Number(req.params.id), requestContext(req));
      return pages.redirect(reply, '/account?done=revoked');
    },
  );

  app.post<{ Body: EmptyForm }>('/account/sessions/revoke-others', post('Sign out every other session', EmptyForm), async (req, reply) => {
    const p = await user(req, reply);
    if (!p) return reply;
    await core.devices.revokeOthers(p, requestContext(req));
    return pages.redirect(reply, '/account?done=revoked-others');
  });

  app.post<{ Body: CloseForm }>('/account/close', post('Close the account (password required)', CloseForm), async (req, reply) => {
    const p = await user(req, reply);
    if (!p) return reply;
    const ctx = requestContext(req);
    if (req.body.password === '') return render(reply, 400, p, { closeError: r.t('errors.passwordRequired') });
    try {
      const checked = await core.auth.password(p.account.email ?? '', req.body.password, ctx, { cache: false });
      if (checked.account.id !== p.account.id) return render(reply, 400, p, { closeError: r.t('errors.passwordWrong') });
    } catch (err) {
      if (!(err instanceof CoreError)) throw err;
      if (err.code === 'invalid_credentials') return render(reply, 400, p, { closeError: r.t('errors.passwordWrong') });
      const refused = refusal(r, err) ?? { status: 400, alert: errorAlert(r.t('errors.passwordWrong')), retryAfter: undefined };
      return render(reply, refused.status, p, { alert: refused.alert });
    }
    await core.accounts.close(p, ctx);
    clearAllCookies(reply, core.config);
    return pages.send(reply, 200, 'closed', r.t('closed.title'), {});
  });
}
