// The account pages in a real browser: Debian's Chromium (playwright-core) against the real server process,
// with a real SMTP server catching the reset mail, on the backend of this run. Every journey of issue 12,
// axe-core on every page (no serious or critical violations) and a screenshot of each page in test-artifacts/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { auditPage, browserSkipReason, launchChromium } from '../helpers/browser.js';
import { deployment, killAllServers, startServerProcess, type Deployment } from '../helpers/process.js';
import { GOOD_PASSWORD, uniqueEmail } from '../helpers/server.js';
import { resetCodeIn, startSmtp, type SmtpProcess } from '../helpers/smtp.js';
import { freePort } from '../helpers/ports.js';

const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
const CHROME_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const SAFARI_IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const NEW_PASSWORD = 'harbor-violet-93-engine';

/** Every page (and state) the issue asks to check with axe and to screenshot. */
const PAGES = [
  'signup', 'signup-errors', 'account', 'login', 'login-error', 'login-lockout', 'forgot-password', 'forgot-password-sent',
  'reset-password', 'reset-password-mismatch', 'reset-password-weak', 'reset-password-invalid', 'account-password-error',
  'account-sessions', 'account-token', 'account-close-error', 'closed', 'forbidden', 'login-override',
];
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const EXAMPLE_PAGES = path.join(ROOT, 'examples', 'pages');


describe('account pages in Chromium', { skip: browserSkipReason() ?? false, timeout: 900_000 }, () => {
  let smtp: SmtpProcess;
  let d: Deployment;
  let browser: Browser;
  let base = '';
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];
  const audited = new Set<string>();

  before(async () => {
    smtp = await startSmtp();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    d = deployment({ SMTP_URL: smtp.url, PUBLIC_URL: base, PORT: String(port), LOGIN_MAX_FAILURES: '3' });
    const server = await startServerProcess(d);
    assert.equal(server.url, base);
    browser = await launchChromium();
  });
  // Each journey's browser contexts are closed after it, so the browser never holds more than a few pages.
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close().catch(() => undefined);
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await killAllServers();
    d?.remove();
    await smtp?.stop();
  });

  async function audit(page: Page, name: string): Promise<void> {
    assert.ok(PAGES.includes(name), `unlisted page name ${name}`);
    audited.add(name);
    problems.push(...(await auditPage(page, name)));
  }

  async function browserPage(options: { userAgent?: string; timezoneId?: string } = {}): Promise<Page> {
    const ctx = await browser.newContext({ ...options, viewport: { width: 1100, height: 800 } });
    contexts.push(ctx);
    return ctx.newPage();
  }

  async function signUp(page: Page, email: string, name = 'Ann Example', password = GOOD_PASSWORD): Promise<void> {
    await page.goto(`${base}/signup`);
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('I accept the terms of service').check();
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.waitForURL(`${base}/account?done=welcome`);
  }

  async function signIn(page: Page, email: string, password = GOOD_PASSWORD): Promise<void> {
    await page.goto(`${base}/login`);
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/account(\?|$)/);
  }

  /** The page a signed-out browser gets for /account: the sign-in page. */
  async function assertSignedOut(page: Page, what: string): Promise<void> {
    await page.goto(`${base}/account`);
    assert.match(page.url(), /\/login\?return_to=%2Faccount$/, `${what}: /account sends a signed-out browser to /login`);
  }

  async function alertText(page: Page): Promise<string> {
    return ((await page.locator('.alert').first().textContent()) ?? '').trim();
  }

  async function me(auth: string): Promise<{ status: number; body: { api_token?: string; fullname?: string; email?: string } }> {
    const res = await fetch(`${base}/api/v9/me`, { headers: { authorization: auth } });
    return { status: res.status, body: res.status === 200 ? ((await res.json()) as { api_token?: string; fullname?: string }) : {} };
  }
  /** The operator CLI on the deployment's database and secret; its --json answer. */
  function cli(...args: string[]): Record<string, unknown> {
    const env = { PATH: process.env.PATH ?? '', DATA_DIR: d.dataDir, DATABASE_URL: d.databaseUrl, GATEHOUSE_SECRET: d.secret, LOG_LEVEL: 'silent' };
    const run = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'gatehouse.js'), ...args, '--json'], { env, encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 0, `gatehouse ${args.join(' ')}: ${run.stderr}`);
    return JSON.parse(run.stdout) as Record<string, unknown>;
  }

  const basic = (user: string, password: string) => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');

  it('sign up → the account page shows the email → sign out → sign in → the account page', async () => {
    const page = await browserPage({ timezoneId: 'Europe/Tallinn' });
    await page.goto(`${base}/signup`);
    assert.equal(await page.getByLabel('Time zone').inputValue(), 'Europe/Tallinn', "the browser's time zone is preselected");
    await audit(page, 'signup');

    // A bad form comes back with the messages next to the fields and the typed email kept.
    await page.getByLabel('Email', { exact: true }).fill('not-an-email');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.waitForSelector('.error');
    assert.equal(await page.getByLabel('Email', { exact: true }).inputValue(), 'not-an-email');
    assert.match((await page.locator('#terms-error').textContent()) ?? '', /Accept the terms of service/);
    assert.match((await page.locator('#email-error').textContent()) ?? '', /valid email/);
    await audit(page, 'signup-errors');

    const email = uniqueEmail('pages');
    await signUp(page, email, 'Ann Example');
    assert.equal(await page.locator('.account-email').textContent(), email);
    assert.match(await alertText(page), /Welcome/);
    await audit(page, 'account');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/login?done=signed-out`);
    assert.match(await alertText(page), /signed out/);
    await audit(page, 'login');
    await assertSignedOut(page, 'after sign out');

    // The same message for a wrong password and an unknown email.
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill('wrong-password-1234');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('.alert-error');
    const wrongPassword = await alertText(page);
    assert.equal(await page.getByLabel('Email', { exact: true }).inputValue(), email, 'the email is kept');
    await audit(page, 'login-error');
    await page.getByLabel('Email', { exact: true }).fill(uniqueEmail('nobody'));
    await page.getByLabel('Password', { exact: true }).fill('wrong-password-1234');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('.alert-error');
    assert.equal(await alertText(page), wrongPassword, 'unknown email and wrong password read the same');

    await signIn(page, email);
    assert.equal(page.url(), `${base}/account`);
    assert.equal(await page.locator('.account-email').textContent(), email);
  });

  it('a lockout says when to try again', async () => {
    const page = await browserPage();
    const email = uniqueEmail('locked');
    let last = '';
    for (let i = 0; i < 4; i++) {
      await page.goto(`${base}/login`);
      await page.getByLabel('Email', { exact: true }).fill(email);
      await page.getByLabel('Password', { exact: true }).fill(`wrong-password-${i}`);
      const answer = page.waitForResponse((r) => r.url() === `${base}/login` && r.request().method() === 'POST');
      await page.getByRole('button', { name: 'Sign in' }).click();
      const res = await answer;
      last = `${res.status()} ${await alertText(page)}`;
    }
    assert.match(last, /^429 Too many failed attempts\. Try again in 5 minutes\.$/);
    await audit(page, 'login-lockout');
  });

  it('forgot password → the mail link → a mismatch and a weak password are refused → new password set and signed in; the old password and older sessions are gone', async () => {
    const email = uniqueEmail('reset');
    const before = await browserPage({ userAgent: FIREFOX_WINDOWS });
    await signUp(before, email);

    const page = await browserPage();
    await page.goto(`${base}/login`);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.waitForURL(`${base}/forgot-password`);
    await audit(page, 'forgot-password');
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await page.waitForSelector('.alert-ok');
    const sent = await alertText(page);
    await audit(page, 'forgot-password-sent');

    // The same answer for an email without an account.
    const other = await browserPage();
    const stranger = uniqueEmail('stranger');
    await other.goto(`${base}/forgot-password`);
    await other.getByLabel('Email', { exact: true }).fill(stranger);
    await other.getByRole('button', { name: 'Send reset link' }).click();
    await other.waitForSelector('.alert-ok');
    assert.equal((await alertText(other)).replace(stranger, 'EMAIL'), sent.replace(email, 'EMAIL'));

    const mail = await smtp.waitFor(email);
    const code = resetCodeIn(mail);
    const link = /(http:\/\/\S+\/reset-password\/[A-Z0-9]+)/.exec(mail.text)?.[1];
    assert.equal(link, `${base}/reset-password/${code}`, 'the mail links to the page and carries the code');

    await page.goto(link);
    await audit(page, 'reset-password');
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Confirm new password', { exact: true }).fill(`${NEW_PASSWORD}-typo`);
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.waitForSelector('#confirm-error');
    assert.match((await page.locator('#confirm-error').textContent()) ?? '', /do not match/);
    await audit(page, 'reset-password-mismatch');
    await page.getByLabel('New password', { exact: true }).fill('password');
    await page.getByLabel('Confirm new password', { exact: true }).fill('password');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.waitForSelector('#password-error');
    assert.match((await page.locator('#password-error').textContent()) ?? '', /too common/);
    await audit(page, 'reset-password-weak');

    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Confirm new password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.waitForURL(`${base}/account?done=password-reset`);
    assert.equal(await page.locator('.account-email').textContent(), email, 'signed in after the reset');

    await assertSignedOut(before, 'a session from before the reset');
    assert.notEqual((await me(basic(email, GOOD_PASSWORD))).status, 200, 'the old password fails');
    assert.equal((await me(basic(email, NEW_PASSWORD))).status, 200, 'the new password works');

    // The link is used up.
    await page.goto(link);
    await page.getByLabel('New password', { exact: true }).fill(`${NEW_PASSWORD}-2`);
    await page.getByLabel('Confirm new password', { exact: true }).fill(`${NEW_PASSWORD}-2`);
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.waitForSelector('h1:has-text("This reset link does not work")');
    await audit(page, 'reset-password-invalid');
  });

  it('change password on the account page; a second browser signed in before is signed out', async () => {
    const email = uniqueEmail('change');
    const page = await browserPage({ userAgent: FIREFOX_WINDOWS });
    await signUp(page, email);
    const second = await browserPage({ userAgent: CHROME_MAC });
    await signIn(second, email);

    await page.goto(`${base}/account`);
    await page.getByLabel('Current password').fill('not-my-password-77');
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Confirm new password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.waitForSelector('#current-password-error');
    assert.match((await page.locator('#current-password-error').textContent()) ?? '', /current password is not correct/);
    await audit(page, 'account-password-error');

    await page.getByLabel('Current password').fill(GOOD_PASSWORD);
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Confirm new password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.waitForURL(`${base}/account?done=password`);
    assert.match(await alertText(page), /password has been changed/);

    await assertSignedOut(second, 'the second browser');
    await page.goto(`${base}/account`);
    assert.equal(page.url(), `${base}/account`, 'the browser that changed it stays signed in');
    assert.equal((await me(basic(email, NEW_PASSWORD))).status, 200);
  });

  it('sessions per device: three browsers, a curl v8 session and a BookingBug Auth-Token are listed; revoking one signs it out at once', async () => {
    const email = uniqueEmail('devices');
    const page = await browserPage({ userAgent: FIREFOX_WINDOWS });
    await signUp(page, email);
    const second = await browserPage({ userAgent: CHROME_MAC });
    await signIn(second, email);
    const third = await browserPage({ userAgent: SAFARI_IPHONE });
    await signIn(third, email);

    // A curl client opens a Toggl v8 API session (Basic on GET /api/v8/me answers with its cookie).
    const v8 = await fetch(`${base}/api/v8/me`, { headers: { authorization: basic(email, GOOD_PASSWORD), 'user-agent': 'curl/8.5.0' } });
    assert.equal(v8.status, 200);
    const v8Cookie = (v8.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    assert.match(v8Cookie, /^toggl_api_session_new=./);
    assert.equal((await fetch(`${base}/api/v8/me`, { headers: { cookie: v8Cookie } })).status, 200);

    // A BookingBug app logs the same person in as an administrator (the operator set up the company).
    const companyId = String(cli('company', 'create', '--name', 'Acme Devices').id);
    cli('admin', 'create', '--company', companyId, '--email', email, '--password', GOOD_PASSWORD, '--name', 'Ann Admin');
    const appId = String(cli('app', 'create', '--company', companyId, '--name', 'Bookings', '--no-key').app_id);
    const bbLogin = await fetch(`${base}/api/v1/login`, {
      method: 'POST',
      headers: { 'App-Id': appId, 'content-type': 'application/json', 'user-agent': 'AcmeBookings/2.1 (Android 14)' },
      body: JSON.stringify({ email, password: GOOD_PASSWORD }),
    });
    assert.equal(bbLogin.status, 200);
    const authToken = ((await bbLogin.json()) as { auth_token: string }).auth_token;
    const bbCompany = () => fetch(`${base}/api/v1/admin/${companyId}/company`, { headers: { 'App-Id': appId, 'Auth-Token': authToken } });
    assert.equal((await bbCompany()).status, 200);

    await page.goto(`${base}/account`);
    const rows = page.locator('li.session');
    assert.equal(await rows.count(), 5, 'three browsers, the curl v8 session and the BookingBug Auth-Token');
    const current = page.locator('li.session.current');
    assert.equal(await current.count(), 1);
    assert.match((await current.textContent()) ?? '', /Firefox on Windows\s+This device/);
    assert.match((await current.textContent()) ?? '', /127\.0\.0\.1/);
    const listed = (await rows.allTextContents()).join('\n');
    for (const device of ['Chrome on macOS', 'Safari on iOS', 'curl', 'AcmeBookings on Android']) assert.match(listed, new RegExp(device), `${device} is listed`);
    assert.match(listed, /API session/);
    assert.match(listed, /BookingBug administrator/);
    await audit(page, 'account-sessions');

    await page.getByRole('button', { name: /^Revoke Chrome on macOS/ }).click();
    await page.waitForURL(`${base}/account?done=revoked`);
    assert.equal(await page.locator('li.session').count(), 4);
    await assertSignedOut(second, 'the revoked browser');

    await page.getByRole('button', { name: /^Revoke curl/ }).click();
    await page.waitForURL(`${base}/account?done=revoked`);
    assert.equal((await fetch(`${base}/api/v8/me`, { headers: { cookie: v8Cookie } })).status, 403, 'the revoked v8 session is dead');

    await page.getByRole('button', { name: /^Revoke AcmeBookings on Android/ }).click();
    await page.waitForURL(`${base}/account?done=revoked`);
    assert.equal((await bbCompany()).status, 401, 'the revoked Auth-Token is dead');

    await page.getByRole('button', { name: 'Sign out everywhere else' }).click();
    await page.waitForURL(`${base}/account?done=revoked-others`);
    assert.equal(await page.locator('li.session').count(), 1);
    await assertSignedOut(third, 'the third browser after "Sign out everywhere else"');
    await page.goto(`${base}/account`);
    assert.equal(page.url(), `${base}/account`);
  });

  it('reset the API token on the page; the old token fails on /api/v9/me', async () => {
    const email = uniqueEmail('token');
    const page = await browserPage();
    await signUp(page, email);
    const old = (await me(basic(email, GOOD_PASSWORD))).body.api_token ?? '';
    assert.match(old, /^[0-9a-f]{32}$/);
    assert.equal(await page.locator('#api-token').count(), 0, 'hidden until asked for');
    await page.getByRole('button', { name: 'Show API token' }).click();
    assert.equal(await page.getByLabel('Your API token').inputValue(), old);
    await page.getByRole('button', { name: 'Reset API token' }).click();
    await page.waitForSelector('.alert-ok');
    const fresh = await page.getByLabel('Your API token').inputValue();
    assert.match(fresh, /^[0-9a-f]{32}$/);
    assert.notEqual(fresh, old);
    await audit(page, 'account-token');
    assert.equal((await me(basic(old, 'api_token'))).status, 403, 'the old token is refused');
    assert.equal((await me(basic(fresh, 'api_token'))).status, 200, 'the new token works');
  });

  it('close account → signed out, and the email can sign up again', async () => {
    const email = uniqueEmail('close');
    const page = await browserPage();
    await signUp(page, email);
    const other = await browserPage();
    await signIn(other, email);
    await page.getByLabel('Password', { exact: true }).fill('not-my-password-77');
    await page.getByRole('button', { name: 'Close account' }).click();
    await page.waitForSelector('#close-password-error');
    assert.match((await page.locator('#close-password-error').textContent()) ?? '', /not correct/);
    await audit(page, 'account-close-error');

    await page.getByLabel('Password', { exact: true }).fill(GOOD_PASSWORD);
    await page.getByRole('button', { name: 'Close account' }).click();
    await page.waitForSelector('h1:has-text("Your account is closed")');
    await audit(page, 'closed');
    await assertSignedOut(page, 'the closing browser');
    await assertSignedOut(other, 'another browser of the closed account');
    assert.notEqual((await me(basic(email, GOOD_PASSWORD))).status, 200);

    await signUp(page, email, 'Ann Again');
    assert.equal(await page.locator('.account-email').textContent(), email);
  });

  it('a form posted from another origin is refused and changes nothing; the token and the Origin check each refuse alone', async () => {
    const email = uniqueEmail('csrf');
    const page = await browserPage();
    await signUp(page, email, 'Ann Original');

    // The attacker's page: same site (127.0.0.1), other origin (port), so the browser sends every cookie.
    const evil: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><title>Win a prize</title><form id="f" method="post" action="${base}/account/profile">
<input name="name" value="Mallory"><input name="email" value="mallory@example.com"><input name="timezone" value="UTC"></form>
<script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    const evilPort = (evil.address() as { port: number }).port;
    try {
      const answer = page.waitForResponse((r) => r.url() === `${base}/account/profile`);
      await page.goto(`http://127.0.0.1:${evilPort}/`);
      assert.equal((await answer).status(), 403);
      await page.waitForSelector('h1:has-text("Request not accepted")');
      await audit(page, 'forbidden');
    } finally {
      await new Promise((resolve) => evil.close(resolve));
    }
    const after1 = await me(basic(email, GOOD_PASSWORD));
    assert.equal(after1.body.fullname, 'Ann Original');
    assert.equal(after1.body.email, email);

    // Outside the browser: with the browser's cookies and a valid token, only a same-origin post passes.
    const jar = (await page.context().cookies(base)).map((c) => `${c.name}=${c.value}`).join('; ');
    const html = await (await fetch(`${base}/account`, { headers: { cookie: jar } })).text();
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    assert.ok(token.length > 10);
    const post = (origin: string | undefined, csrf: string | undefined, name: string) =>
      fetch(`${base}/account/profile`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: jar, 'content-type': 'application/x-www-form-urlencoded', ...(origin ? { origin } : {}) },
        body: new URLSearchParams({ ...(csrf ? { _csrf: csrf } : {}), name, email, timezone: 'UTC' }).toString(),
      });
    assert.equal((await post('http://evil.example', token, 'Eve')).status, 403, 'valid token, foreign Origin');
    assert.equal((await post(base, undefined, 'Eve')).status, 403, 'same origin, no token');
    assert.equal((await post(base, 'x'.repeat(40), 'Eve')).status, 403, 'same origin, forged token');
    assert.equal((await me(basic(email, GOOD_PASSWORD))).body.fullname, 'Ann Original');
    const ok = await post(base, token, 'Ann Renamed');
    assert.equal(ok.status, 303, 'the control: same origin with the token');
    assert.equal((await me(basic(email, GOOD_PASSWORD))).body.fullname, 'Ann Renamed');
  });

  it('pages send CSP without inline script, frame-ancestors none, nosniff and a same-origin referrer policy; input is escaped; return_to stays on this origin', async () => {
    for (const path of ['/signup', '/login', '/forgot-password', '/reset-password/ABCDEFGH2345', '/assets/style.css']) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, 200, path);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.match(csp, /script-src 'self'/, path);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(res.headers.get('referrer-policy'), 'same-origin', path);
      const body = await res.text();
      assert.doesNotMatch(body, /<script(?![^>]*\ssrc=)[^>]*>/i, `${path}: no inline script`);
    }

    const page = await browserPage();
    const email = uniqueEmail('escape');
    const hostile = '<img src=x onerror="document.title=1">&amp;"\'';
    await signUp(page, email, hostile);
    assert.equal(await page.locator('.account-name').textContent(), hostile, 'shown as text');
    assert.equal(await page.locator('.account-name img').count(), 0, 'not as markup');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/);

    for (const [returnTo, landing] of [
      ['//evil.example/x', `${base}/account`],
      ['https://evil.example/', `${base}/account`],
      ['/\\evil.example', `${base}/account`],
      ['/account?done=profile', `${base}/account?done=profile`],
    ] as const) {
      await page.goto(`${base}/login?return_to=${encodeURIComponent(returnTo)}`);
      await page.getByLabel('Email', { exact: true }).fill(email);
      await page.getByLabel('Password', { exact: true }).fill(GOOD_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/account/);
      assert.equal(page.url(), landing, `return_to ${returnTo}`);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/login/);
    }
  });

  it('PAGES_DIR overrides strings, assets and templates (examples/pages)', async () => {
    const branded = await startServerProcess(d, { PAGES_DIR: EXAMPLE_PAGES, PORT: '0', PUBLIC_URL: '' });
    const html = await (await fetch(`${branded.url}/login`)).text();
    assert.match(html, /<title>Sign in · Acme Accounts<\/title>/, 'brand from strings.json');
    assert.match(html, /Sign in to Acme Bookings and Acme Time\./, 'a merged string');
    assert.match(html, /Create an account/, 'keys it does not override keep the shipped text');
    assert.match(html, /Acme staff: use your work email\./, 'the login template from PAGES_DIR');
    assert.match(html, /src="\/assets\/acme-logo\.svg"/);
    const theme = await fetch(`${branded.url}/assets/theme.css`);
    assert.match(await theme.text(), /--accent: #0b7a5a/, 'theme.css from PAGES_DIR');
    assert.equal((await fetch(`${branded.url}/assets/acme-logo.svg`)).headers.get('content-type'), 'image/svg+xml');
    assert.equal((await fetch(`${branded.url}/assets/style.css`)).status, 200, 'shipped assets still served');
    assert.equal((await fetch(`${branded.url}/assets/..%2Fstrings.json`)).status, 404);
    const signup = await (await fetch(`${branded.url}/signup`)).text();
    assert.match(signup, /One Acme account/, 'shipped templates use the merged strings');
    const page = await browserPage();
    await page.goto(`${branded.url}/login`);
    await audit(page, 'login-override');
    await branded.kill();
  });

  it('axe-core finds no serious or critical violation on any page, and every page was checked', () => {
    assert.deepEqual(PAGES.filter((p) => !audited.has(p)), [], 'pages not audited');
    assert.deepEqual(problems, []);
  });
});
