// Pages before sign-in: sign up, sign in (and out), forgot password, reset password, and the assets.
import type { FastifyInstance } from 'fastify';
import { requestContext } from '../context.js';
import { validEmail } from '../../core/validate.js';
import { clearCookie, ACCOUNTS_COOKIE } from '../toggl/cookies.js';
import { CoreError, errorAlert, field, fieldErrors, okAlert, refusal, timezoneField, type Alert } from './forms.js';
import type { Pages } from './index.js';
import { ASSET_NAME } from './render.js';
import {
  AssetParams,
  CodeParams,
  EmptyForm,
  ForgotForm,
  LoginForm,
  LoginQuery,
  NoticeQuery,
  ResetForm,
  SignupForm,
  TAGS,
} from './schemas.js';
import { safeReturnTo } from './security.js';

const NOTICES: Record<string, string> = { 'signed-out': 'notices.signedOut' };

export async function publicRoutes(app: FastifyInstance, pages: Pages): Promise<void> {
  const { core, r } = pages;
  const assetName = new RegExp(ASSET_NAME);
  const min = core.config.password.minLength;

  app.get('/', { schema: { summary: 'Home: the account page when signed in, else the sign-in page', tags: TAGS } }, async (req, reply) => {
    return pages.redirect(reply, (await pages.signedIn(req)) ? '/account' : '/login');
  });

  app.get<{ Params: AssetParams }>('/assets/:file', { schema: { summary: 'Style sheet, script or image of the account pages', tags: TAGS, params: AssetParams } }, async (req, reply) => {
    const asset = assetName.test(req.params.file) ? r.asset(req.params.file) : undefined;
    // The server's ordinary 404 outside the dialects.
    if (!asset) return reply.code(404).send({ error: 'Not found' });
    return reply.type(asset.type).header('Cache-Control', 'public, max-age=3600').send(asset.body);
  });

  // ---- sign up ------------------------------------------------------------------------------------
  interface SignupState {
    values?: { email?: string | undefined; name?: string | undefined; timezone?: string | undefined; terms?: boolean };
    errors?: Record<string, string>;
    alert?: Alert | undefined;
  }
  const signupView = (csrf: string, s: SignupState = {}) => {
    const v = s.values ?? {};
    const e = s.errors ?? {};
    return {
      csrf,
      alert: s.alert,
      email: field('email', r.t('fields.email'), { type: 'email', autocomplete: 'email', required: true, value: v.email, error: e.email }),
      password: field('password', r.t('fields.password'), { type: 'password', autocomplete: 'new-password', required: true, hint: r.t('fields.passwordHint', { min }), error: e.password }),
      name: field('name', r.t('fields.name'), { autocomplete: 'name', maxlength: 100, value: v.name, error: e.fullname }),
      timezone: timezoneField(r, 'timezone', v.timezone ?? 'UTC', e.timezone, true),
      terms: { checked: v.terms === true, error: e.terms },
    };
  };

  app.get('/signup', { schema: { summary: 'Sign-up form', tags: TAGS } }, async (_req, reply) => {
    return pages.send(reply, 200, 'signup', r.t('signup.title'), signupView(pages.csrf(reply)), { script: 'timezone.js' });
  });

  app.post<{ Body: SignupForm }>('/signup', { schema: { summary: 'Create an account and sign in', tags: TAGS, body: SignupForm }, preHandler: app.csrfProtection }, async (req, reply) => {
    const b = req.body;
    const values = { email: b.email, name: b.name, timezone: b.timezone, terms: b.terms === 'on' };
    const again = (status: number, errors: Record<string, string>, alert?: Alert) =>
      pages.send(reply, status, 'signup', r.t('signup.title'), signupView(pages.csrf(reply), { values, errors, alert }), { script: 'timezone.js' });
    const errors: Record<string, string> = {};
    if (b.terms !== 'on') errors.terms = r.t('errors.termsRequired');
    try {
      if (Object.keys(errors).length > 0) {
        // Nothing is created without the terms; the email's shape is reported with it.
        if (!validEmail(b.email)) errors.email = r.t('errors.emailInvalid');
        return again(400, errors);
      }
      const name = b.name?.trim();
      const p = await core.accounts.signup({ email: b.email, password: b.password, fullname: name === '' ? undefined : name, timezone: b.timezone ?? 'UTC' }, requestContext(req));
      await pages.startSession(req, reply, p, false);
      return pages.redirect(reply, '/account?done=welcome');
    } catch (err) {
      if (!(err instanceof CoreError)) throw err;
      const refused = refusal(r, err);
      if (refused) {
        if (refused.retryAfter !== undefined) reply.header('Retry-After', String(refused.retryAfter));
        return again(refused.status, {}, refused.alert);
      }
      return again(400, fieldErrors(r, core.config, err));
    }
  });

  // ---- sign in and out ----------------------------------------------------------------------------
  const loginView = (csrf: string, s: { email?: string | undefined; remember?: boolean; returnTo?: string | undefined; errors?: Record<string, string>; alert?: Alert | undefined }) => ({
    csrf,
    alert: s.alert,
    returnTo: s.returnTo,
    remember: s.remember === true,
    email: field('email', r.t('fields.email'), { type: 'email', autocomplete: 'username', required: true, value: s.email, error: s.errors?.email }),
    password: field('password', r.t('fields.password'), { type: 'password', autocomplete: 'current-password', required: true, error: s.errors?.password }),
  });

  app.get<{ Querystring: LoginQuery }>('/login', { schema: { summary: 'Sign-in form', tags: TAGS, querystring: LoginQuery } }, async (req, reply) => {
    const returnTo = safeReturnTo(req.query.return_to, core.config.publicUrl);
    if (await pages.signedIn(req)) return pages.redirect(reply, returnTo ?? '/account');
    const notice = req.query.done !== undefined ? NOTICES[req.query.done] : undefined;
    return pages.send(reply, 200, 'login', r.t('login.title'), loginView(pages.csrf(reply), { returnTo, alert: notice ? okAlert(r.t(notice)) : undefined }));
  });

  app.post<{ Body: LoginForm }>('/login', { schema: { summary: 'Sign in with email and password', tags: TAGS, body: LoginForm }, preHandler: app.csrfProtection }, async (req, reply) => {
    const b = req.body;
    const returnTo = safeReturnTo(b.return_to, core.config.publicUrl);
    const remember = b.remember === 'on';
    const again = (status: number, s: { errors?: Record<string, string>; alert?: Alert }) =>
      pages.send(reply, status, 'login', r.t('login.title'), loginView(pages.csrf(reply), { email: b.email, remember, returnTo, ...s }));
    const errors: Record<string, string> = {};
    if (b.email.trim() === '') errors.email = r.t('errors.emailInvalid');
    if (b.password === '') errors.password = r.t('errors.passwordRequired');
    if (Object.keys(errors).length > 0) return again(400, { errors });
    try {
      const p = await core.auth.password(b.email, b.password, requestContext(req), { cache: false });
      await pages.startSession(req, reply, p, remember);
      return pages.redirect(reply, returnTo ?? '/account');
    } catch (err) {
      if (!(err instanceof CoreError)) throw err;
      const refused = refusal(r, err) ?? { status: 400, alert: errorAlert(r.t('errors.credentials')), retryAfter: undefined };
      if (refused.retryAfter !== undefined) reply.header('Retry-After', String(refused.retryAfter));
      return again(refused.status, { alert: refused.alert });
    }
  });

  app.post<{ Body: EmptyForm }>('/logout', { schema: { summary: 'Sign out of this browser', tags: TAGS, body: EmptyForm }, preHandler: app.csrfProtection }, async (req, reply) => {
    const p = await pages.signedIn(req);
    if (p) await core.accounts.endSession(p, requestContext(req));
    clearCookie(reply, core.config, ACCOUNTS_COOKIE);
    return pages.redirect(reply, '/login?done=signed-out');
  });

  // ---- forgot and reset password ------------------------------------------------------------------
  const forgotView = (csrf: string, s: { email?: string; error?: string; alert?: Alert; sent?: boolean }) => ({
    csrf,
    alert: s.alert,
    sent: s.sent === true,
    email: field('email', r.t('fields.email'), { type: 'email', autocomplete: 'email', required: true, value: s.email, error: s.error }),
  });

  app.get<{ Querystring: NoticeQuery }>('/forgot-password', { schema: { summary: 'Form to request a password reset mail', tags: TAGS, querystring: NoticeQuery } }, async (_req, reply) => {
    return pages.send(reply, 200, 'forgot-password', r.t('forgot.title'), forgotView(pages.csrf(reply), {}));
  });

  app.post<{ Body: ForgotForm }>('/forgot-password', { schema: { summary: 'Send a password reset mail', tags: TAGS, body: ForgotForm }, preHandler: app.csrfProtection }, async (req, reply) => {
    const email = req.body.email.trim();
    const title = r.t('forgot.title');
    if (!validEmail(email)) return pages.send(reply, 400, 'forgot-password', title, forgotView(pages.csrf(reply), { email, error: r.t('errors.emailInvalid') }));
    try {
      // The mail links to the reset page when PUBLIC_URL is set (and carries the code either way).
      const linkBase = core.config.publicUrlConfigured ? `${core.config.publicUrl}/reset-password/` : undefined;
      await core.resets.request(email, requestContext(req), { linkBase });
    } catch (err) {
      if (!(err instanceof CoreError)) throw err;
      const refused = refusal(r, err);
      if (!refused) throw err;
      if (refused.retryAfter !== undefined) reply.header('Retry-After', String(refused.retryAfter));
      return pages.send(reply, refused.status, 'forgot-password', title, forgotView(pages.csrf(reply), { email, alert: refused.alert }));
    }
    const minutes = Math.round(core.config.resetCode.ttlSeconds / 60);
    return pages.send(reply, 200, 'forgot-password', title, forgotView(pages.csrf(reply), { sent: true, alert: okAlert(r.t('forgot.sent', { email, minutes })) }));
  });

  const resetView = (csrf: string, code: string, s: { errors?: Record<string, string>; invalid?: boolean } = {}) => ({
    csrf,
    code,
    invalid: s.invalid === true,
    alert: undefined,
    password: field('password', r.t('fields.newPassword'), { type: 'password', autocomplete: 'new-password', required: true, hint: r.t('fields.passwordHint', { min }), error: s.errors?.password }),
    confirm: field('confirm', r.t('fields.confirmPassword'), { type: 'password', autocomplete: 'new-password', required: true, error: s.errors?.confirm }),
  });

  // A GET never uses up the code: mail scanners that open links do no harm.
  app.get<{ Params: CodeParams }>('/reset-password/:code', { schema: { summary: 'Form to choose a new password with a reset code', tags: TAGS, params: CodeParams } }, async (req, reply) => {
    return pages.send(reply, 200, 'reset-password', r.t('reset.title'), resetView(pages.csrf(reply), req.params.code));
  });

  app.post<{ Params: CodeParams; Body: ResetForm }>(
    '/reset-password/:code',
    { schema: { summary: 'Set a new password with a reset code and sign in', tags: TAGS, params: CodeParams, body: ResetForm }, preHandler: app.csrfProtection },
    async (req, reply) => {
      const { code } = req.params;
      const again = (status: number, s: { errors?: Record<string, string>; invalid?: boolean }) =>
        pages.send(reply, status, 'reset-password', s.invalid ? r.t('reset.invalidTitle') : r.t('reset.title'), resetView(pages.csrf(reply), code, s));
      if (req.body.password !== req.body.confirm) return again(400, { errors: { confirm: r.t('errors.passwordMismatch') } });
      try {
        const { principal, session } = await core.resets.complete(code, req.body.password, 'accounts', requestContext(req));
        await pages.startSession(req, reply, principal, false, session);
        return pages.redirect(reply, '/account?done=password-reset');
      } catch (err) {
        if (!(err instanceof CoreError)) throw err;
        if (err.code === 'reset_code_invalid') return again(400, { invalid: true });
        const refused = refusal(r, err);
        if (refused) {
          if (refused.retryAfter !== undefined) reply.header('Retry-After', String(refused.retryAfter));
          return pages.send(reply, refused.status, 'message', r.t('errors.title'), { heading: r.t('reset.title'), text: refused.alert.text });
        }
        return again(400, { errors: { password: fieldErrors(r, core.config, err).password ?? r.t('errors.passwordInvalid') } });
      }
    },
  );
}
