// The Toggl wire views of a user and a workspace, with the field names and order of spec/toggl.md §5.
// v9 writes times as RFC 3339 UTC with `Z`; v8 as `+00:00` and leaves out fields whose value is null.
import type { UserProfile, WorkspaceView } from '../../core/deps.js';

/**
 * The UTC time of `ms` to the second, `YYYY-MM-DDTHH:MM:SS`, remembered for the last few hundred times asked:
 * an account's times are rendered on every `/me` (four of them), and toISOString() was 5 % of a token
 * request (issue 9).
 */
const seconds = new Map<number, string>();
function utcSeconds(ms: number): string {
  let text = seconds.get(ms);
  if (text === undefined) {
    if (seconds.size >= 512) seconds.clear();
    text = new Date(ms).toISOString().slice(0, -5);
    seconds.set(ms, text);
  }
  return text;
}

/** RFC 3339 in UTC without milliseconds: toISOString() always ends in `.sssZ`, which is cut off. */
export function isoZ(ms: number): string {
  return `${utcSeconds(ms)}Z`;
}

export function isoOffset(ms: number): string {
  return `${utcSeconds(ms)}+00:00`;
}

export function imageUrl(publicUrl: string): string {
  return `${publicUrl}/images/profile.png`;
}

export function workspaceV9(w: WorkspaceView): Record<string, unknown> {
  return {
    id: w.id,
    organization_id: w.id,
    name: w.name,
    premium: false,
    business_ws: false,
    admin: true,
    role: 'admin',
    default_hourly_rate: null,
    default_currency: 'USD',
    only_admins_may_create_projects: false,
    only_admins_may_create_tags: false,
    only_admins_see_billable_rates: false,
    projects_billable_by_default: true,
    rounding: 1,
    rounding_minutes: 0,
    at: isoZ(w.updatedAt),
  };
}

export function userV9(u: UserProfile, publicUrl: string, related?: WorkspaceView[]): Record<string, unknown> {
  const user: Record<string, unknown> = {
    id: u.id,
    api_token: u.apiToken,
    email: u.email,
    fullname: u.fullname,
    timezone: u.timezone,
    toggl_accounts_id: u.publicId,
    default_workspace_id: u.defaultWorkspaceId,
    beginning_of_week: u.beginningOfWeek,
    image_url: imageUrl(publicUrl),
    created_at: isoZ(u.createdAt),
    updated_at: isoZ(u.updatedAt),
    openid_email: null,
    openid_enabled: false,
    country_id: u.countryId,
    has_password: u.hasPassword,
    at: isoZ(u.updatedAt),
    oauth_providers: [],
    authorization_updated_at: isoZ(u.authorizationUpdatedAt),
  };
  if (related) {
    user.clients = [];
    user.projects = [];
    user.tags = [];
    user.tasks = [];
    user.time_entries = [];
    user.workspaces = related.map(workspaceV9);
  }
  return user;
}

/** The small user document of the accounts service (sessions and signup). */
export function userAccounts(u: UserProfile): Record<string, unknown> {
  return { id: u.id, email: u.email, fullname: u.fullname, toggl_accounts_id: u.publicId, timezone: u.timezone, created_at: isoZ(u.createdAt) };
}

export function workspaceV8(w: WorkspaceView): Record<string, unknown> {
  return {
    id: w.id,
    name: w.name,
    premium: false,
    admin: true,
    default_hourly_rate: 0,
    default_currency: 'USD',
    only_admins_may_create_projects: false,
    only_admins_see_billable_rates: false,
    projects_billable_by_default: true,
    rounding: 1,
    rounding_minutes: 0,
    at: isoOffset(w.updatedAt),
  };
}

function dropNulls(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in o) if (o[k] !== null && o[k] !== undefined) out[k] = o[k];
  return out;
}

export function userV8(u: UserProfile, publicUrl: string, related?: WorkspaceView[]): Record<string, unknown> {
  const user: Record<string, unknown> = dropNulls({
    id: u.id,
    api_token: u.apiToken,
    default_wid: u.defaultWorkspaceId,
    email: u.email,
    fullname: u.fullname,
    jquery_timeofday_format: 'h:i A',
    jquery_date_format: 'm/d/Y',
    timeofday_format: 'h:mm A',
    date_format: 'MM/DD/YYYY',
    store_start_and_stop_time: true,
    beginning_of_week: u.beginningOfWeek,
    language: 'en_US',
    image_url: imageUrl(publicUrl),
    sidebar_piechart: false,
    at: isoOffset(u.updatedAt),
    created_at: isoOffset(u.createdAt),
    retention: 9,
    record_timeline: false,
    render_timeline: false,
    timeline_enabled: false,
    timeline_experiment: false,
    new_blog_post: {},
    invitation: {},
    timezone: u.timezone,
  });
  if (related) {
    user.workspaces = related.map(workspaceV8);
    user.projects = [];
    user.tags = [];
    user.tasks = [];
    user.clients = [];
    user.time_entries = [];
  }
  return user;
}
