// View models of the form fields (every key set, so a Mustache lookup never falls through to an outer
// value) and the mapping of the core's errors to catalogue messages next to the field they concern.
import type { Config } from '../../config.js';
import { CoreError } from '../../core/errors.js';
import { MESSAGES } from '../../core/validate.js';
import type { PageRenderer } from './render.js';

export interface Field {
  id: string;
  name: string;
  type: string;
  label: string;
  autocomplete: string | undefined;
  required: boolean;
  maxlength: number | undefined;
  value: string | undefined;
  hint: string | undefined;
  error: string | undefined;
  describedBy: string | undefined;
}

export interface FieldOptions {
  name?: string;
  type?: string;
  autocomplete?: string;
  required?: boolean;
  maxlength?: number;
  value?: string | undefined;
  hint?: string | undefined;
  error?: string | undefined;
}

export function field(id: string, label: string, o: FieldOptions = {}): Field {
  const describedBy = [o.hint ? `${id}-hint` : '', o.error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return {
    id,
    name: o.name ?? id,
    type: o.type ?? 'text',
    label,
    autocomplete: o.autocomplete,
    required: o.required ?? false,
    maxlength: o.maxlength,
    value: o.value === '' ? undefined : o.value,
    hint: o.hint,
    error: o.error,
    describedBy: describedBy === '' ? undefined : describedBy,
  };
}

const ZONES = [...new Set(['UTC', ...Intl.supportedValuesOf('timeZone')])];

export interface TimezoneField {
  id: string;
  label: string;
  hint: string;
  detect: boolean;
  error: string | undefined;
  zones: Array<{ id: string; selected: boolean }>;
}

export function timezoneField(r: PageRenderer, id: string, selected: string, error: string | undefined, detect: boolean): TimezoneField {
  const zones = ZONES.includes(selected) ? ZONES : [selected, ...ZONES];
  return { id, label: r.t('fields.timezone'), hint: r.t('fields.timezoneHint'), detect, error, zones: zones.map((z) => ({ id: z, selected: z === selected })) };
}

export interface Alert {
  kind: 'error' | 'ok';
  role: 'alert' | 'status';
  text: string;
}

export const errorAlert = (text: string): Alert => ({ kind: 'error', role: 'alert', text });
export const okAlert = (text: string): Alert => ({ kind: 'ok', role: 'status', text });

/** A password policy problem (the core's wording) as a catalogue message. */
export function passwordMessage(r: PageRenderer, config: Config, coreMessage: string): string {
  if (/at least/.test(coreMessage)) return r.t('errors.passwordShort', { min: config.password.minLength });
  if (/at most/.test(coreMessage)) return r.t('errors.passwordLong', { max: config.password.maxLength });
  if (/too common/.test(coreMessage)) return r.t('errors.passwordCommon');
  if (/same as the email/.test(coreMessage)) return r.t('errors.passwordEmail');
  return r.t('errors.passwordInvalid');
}

/** Field errors of an invalid_input or email_taken error, keyed by the core's field names. */
export function fieldErrors(r: PageRenderer, config: Config, err: CoreError): Record<string, string> {
  const out: Record<string, string> = {};
  if (err.code === 'email_taken') out.email = r.t('errors.emailTaken');
  for (const p of err.extra.problems ?? []) {
    if (p.field === 'email') out.email = p.message === MESSAGES.emailTaken ? r.t('errors.emailTaken') : r.t('errors.emailInvalid');
    else if (p.field === 'password') out.password = passwordMessage(r, config, p.message);
    else if (p.field === 'fullname') out.fullname = r.t('errors.nameInvalid');
    else if (p.field === 'timezone') out.timezone = r.t('errors.timezoneInvalid');
    else if (p.field === 'current_password') out.current_password = p.message === MESSAGES.currentPasswordWrong ? r.t('errors.currentPasswordWrong') : r.t('errors.passwordRequired');
    else out[p.field] = r.t('errors.badForm');
  }
  return out;
}

export interface Refusal {
  status: number;
  alert: Alert;
  retryAfter: number | undefined;
}

/** Errors that concern the whole form (credentials, cool-downs, limits), with the status to answer. */
export function refusal(r: PageRenderer, err: CoreError): Refusal | undefined {
  const minutes = Math.max(1, Math.ceil((err.extra.retryAfter ?? 60) / 60));
  switch (err.code) {
    case 'invalid_credentials':
      return { status: 400, alert: errorAlert(r.t('errors.credentials')), retryAfter: undefined };
    case 'locked':
      return { status: 429, alert: errorAlert(r.t('errors.locked', { minutes })), retryAfter: err.extra.retryAfter };
    case 'account_disabled':
      return { status: 403, alert: errorAlert(r.t('errors.disabled')), retryAfter: undefined };
    case 'rate_limited':
      return { status: 429, alert: errorAlert(r.t('errors.rateLimited', { minutes })), retryAfter: err.extra.retryAfter };
    case 'overloaded':
      return { status: 503, alert: errorAlert(r.t('errors.overloaded')), retryAfter: err.extra.retryAfter };
    default:
      return undefined;
  }
}

export { CoreError };
