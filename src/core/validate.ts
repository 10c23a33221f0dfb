// Field rules shared by every dialect: what a valid email, name, time zone or week start is.
// Messages are the upstream wording (spec/toggl.md section 6); dialects render them.

export const MESSAGES = {
  email: 'Invalid email',
  emailTaken: 'user with this email already exists',
  fullname: 'Invalid fullname',
  timezone: 'Invalid timezone',
  beginningOfWeek: 'Invalid beginning_of_week',
  defaultWorkspace: 'Invalid default_workspace_id',
  countryId: 'Invalid country_id',
  currentPasswordMissing: 'Current password must be present to change password',
  currentPasswordWrong: 'Current password is not valid',
  json: 'Invalid JSON input',
} as const;

export const EMAIL_MAX = 254;

const EMAIL = /^[^\s@"<>()[\]\\,;:]+@[^\s@"<>()[\]\\,;:]+\.[^\s@"<>()[\]\\,;:.]{2,}$/u;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

// A UTF-16 surrogate without its partner: JSON can carry one (`"\ud800"`), no real text has one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/u;

/** Text that can be stored and compared as it was sent: no lone surrogates. */
export function wellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/** The form an email is matched by: trimmed and lower-cased. */
export function emailKey(email: string): string {
  return email.trim().toLowerCase();
}

export function validEmail(email: string): boolean {
  const e = email.trim();
  return e.length > 0 && e.length <= EMAIL_MAX && wellFormed(e) && !CONTROL.test(e) && EMAIL.test(e);
}

export function validFullname(name: string): boolean {
  const n = name.trim();
  return n.length > 0 && [...n].length <= 100 && wellFormed(n) && !CONTROL.test(n);
}

const ZONES = new Set<string>([...Intl.supportedValuesOf('timeZone'), 'UTC', 'Etc/UTC']);

export function validTimezone(tz: string): boolean {
  return ZONES.has(tz);
}

export function validBeginningOfWeek(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 6;
}
