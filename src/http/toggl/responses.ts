// The Toggl dialect's answers as TypeBox schemas, one per document kind (spec/toggl.md §5), each with an
// example. A route names its success answer in `schema.response`: Fastify serializes it with the compiled
// schema (fast-json-stringify: the hot path's JSON) and the OpenAPI document shows it. Error bodies are
// rendered as strings by errors.ts and are described here for the document only.
import { Type, type TSchema } from '@sinclair/typebox';
import type { UserProfile, WorkspaceView } from '../../core/deps.js';
import { userAccounts, userV8, userV9, workspaceV9 } from './views.js';

/** A value of `schema` or null: JSON Schema's type list, which fast-json-stringify serializes directly. */
function nullable<T extends TSchema>(schema: T) {
  return Type.Unsafe<T['static'] | null>({ ...schema, type: [schema.type as string, 'null'] });
}

const Time = (description: string) => Type.String({ format: 'date-time', description });
const Id = Type.Integer({ minimum: 1 });
/** Related collections Gatehouse keeps no data for: always empty, present for client compatibility. */
const Empty = (what: string) => Type.Array(Type.Object({}, { additionalProperties: true }), { maxItems: 0, description: `${what}: always empty (Gatehouse keeps only identity data)` });

const EXAMPLE_TOKEN = '1971800d4d82861d8f2c1651fea4d212';
const EXAMPLE_URL = 'https://auth.example.com';
const AT = Date.UTC(2026, 10, 27, 10);
/** The examples are the wire views (views.ts) of one made-up account, so they cannot drift from the answers. */
const EXAMPLE_PROFILE: UserProfile = {
  id: 1,
  publicId: 'uWm4cGl0ZnRnRXhhbXBsZQ',
  email: 'ada@example.com',
  fullname: 'Ada Lovelace',
  apiToken: EXAMPLE_TOKEN,
  timezone: 'Europe/London',
  beginningOfWeek: 1,
  defaultWorkspaceId: 1,
  countryId: null,
  createdAt: AT,
  updatedAt: AT,
  authorizationUpdatedAt: AT,
  hasPassword: true,
};
const EXAMPLE_WORKSPACE: WorkspaceView = { id: 1, name: "Ada's workspace", createdAt: AT, updatedAt: AT };
const USER_V9_EXAMPLE = userV9(EXAMPLE_PROFILE, EXAMPLE_URL);
const USER_V8_EXAMPLE = userV8(EXAMPLE_PROFILE, EXAMPLE_URL);

export const WorkspaceV9 = Type.Object(
  {
    id: Id,
    organization_id: Id,
    name: Type.String(),
    premium: Type.Boolean(),
    business_ws: Type.Boolean(),
    admin: Type.Boolean(),
    role: Type.String(),
    default_hourly_rate: Type.Null(),
    default_currency: Type.String(),
    only_admins_may_create_projects: Type.Boolean(),
    only_admins_may_create_tags: Type.Boolean(),
    only_admins_see_billable_rates: Type.Boolean(),
    projects_billable_by_default: Type.Boolean(),
    rounding: Type.Integer(),
    rounding_minutes: Type.Integer(),
    at: Time('Last change'),
  },
  { additionalProperties: false },
);



/** GET/PUT /api/v9/me; with `with_related_data=true` also the related collections and the workspaces. */
export const UserV9 = Type.Object(
  {
    id: Id,
    api_token: Type.String({ description: 'The API token (Basic <token>:api_token)' }),
    email: Type.String(),
    fullname: Type.String(),
    timezone: Type.String(),
    toggl_accounts_id: Type.String({ description: 'The account’s public id' }),
    default_workspace_id: nullable(Type.Integer()),
    beginning_of_week: Type.Integer({ minimum: 0, maximum: 6 }),
    image_url: Type.String(),
    created_at: Time('When the account was created'),
    updated_at: Time('Last profile change'),
    openid_email: Type.Null(),
    openid_enabled: Type.Boolean(),
    country_id: nullable(Type.Integer()),
    has_password: Type.Boolean(),
    at: Time('Last profile change'),
    oauth_providers: Type.Array(Type.String()),
    authorization_updated_at: Time('Last change of the credentials (password, API token)'),
    clients: Type.Optional(Empty('clients')),
    projects: Type.Optional(Empty('projects')),
    tags: Type.Optional(Empty('tags')),
    tasks: Type.Optional(Empty('tasks')),
    time_entries: Type.Optional(Empty('time_entries')),
    workspaces: Type.Optional(Type.Array(WorkspaceV9)),
  },
  { additionalProperties: false, examples: [USER_V9_EXAMPLE] },
);

export const WorkspacesV9 = Type.Array(WorkspaceV9, { examples: [[workspaceV9(EXAMPLE_WORKSPACE)]] });

/** POST /api/v9/me/sessions. */
export const SessionUserV9 = Type.Object(
  { api_token: Type.String(), email: Type.String(), fullname: Type.String(), id: Id, timezone: Type.String() },
  { additionalProperties: false, examples: [{ api_token: EXAMPLE_TOKEN, email: EXAMPLE_PROFILE.email, fullname: EXAMPLE_PROFILE.fullname, id: 1, timezone: EXAMPLE_PROFILE.timezone }] },
);

/** The accounts service's user: POST /api/sessions, /api/signup and /api/password_reset/{code}. */
export const UserAccounts = Type.Object(
  { id: Id, email: Type.String(), fullname: Type.String(), toggl_accounts_id: Type.String(), timezone: Type.String(), created_at: Time('When the account was created') },
  {
   
    additionalProperties: false,
    examples: [userAccounts(EXAMPLE_PROFILE)],
  },
);

const V8_TIME = (description: string) => Type.String({ description: `${description} (RFC 3339 with +00:00)` });

export const WorkspaceV8 = Type.Object(
  {
    id: Id,
    name: Type.String(),
    premium: Type.Boolean(),
    admin: Type.Boolean(),
    default_hourly_rate: Type.Number(),
    default_currency: Type.String(),
    only_admins_may_create_projects: Type.Boolean(),
    only_admins_see_billable_rates: Type.Boolean(),
    projects_billable_by_default: Type.Boolean(),
    rounding: Type.Integer(),
    rounding_minutes: Type.Integer(),
    at: V8_TIME('Last change'),
  },
  { additionalProperties: false },
);

/** The v8 user: fields whose value is null are left out, as upstream did. */
export const UserV8 = Type.Object(
  {
    id: Id,
    api_token: Type.String(),
    default_wid: Type.Optional(Type.Integer()),
    email: Type.String(),
    fullname: Type.String(),
    jquery_timeofday_format: Type.String(),
    jquery_date_format: Type.String(),
    timeofday_format: Type.String(),
    date_format: Type.String(),
    store_start_and_stop_time: Type.Boolean(),
    beginning_of_week: Type.Integer({ minimum: 0, maximum: 6 }),
    language: Type.String(),
    image_url: Type.String(),
    sidebar_piechart: Type.Boolean(),
    at: V8_TIME('Last profile change'),
    created_at: V8_TIME('When the account was created'),
    retention: Type.Integer(),
    record_timeline: Type.Boolean(),
    render_timeline: Type.Boolean(),
    timeline_enabled: Type.Boolean(),
    timeline_experiment: Type.Boolean(),
    new_blog_post: Type.Object({}, { additionalProperties: false }),
    invitation: Type.Object({}, { additionalProperties: false }),
    timezone: Type.String(),
    workspaces: Type.Optional(Type.Array(WorkspaceV8)),
    projects: Type.Optional(Empty('projects')),
    tags: Type.Optional(Empty('tags')),
    tasks: Type.Optional(Empty('tasks')),
    clients: Type.Optional(Empty('clients')),
    time_entries: Type.Optional(Empty('time_entries')),
  },
  { additionalProperties: false },
);


/** GET /api/v8/me and POST /api/v8/sessions: the user wrapped in `data`, with the server time in `since`. */
export const MeV8 = Type.Object(
  { since: Type.Integer({ description: 'Server time (Unix seconds)' }), data: UserV8 },
  { additionalProperties: false, examples: [{ since: AT / 1000, data: USER_V8_EXAMPLE }] },
);

/** PUT /api/v8/me and POST /api/v8/signups. */
export const DataV8 = Type.Object({ data: UserV8 }, { additionalProperties: false, examples: [{ data: USER_V8_EXAMPLE }] });

/** An answer with nothing to say. */
export const EmptyObject = Type.Object({}, { additionalProperties: false, examples: [{}] });

export const SessionAlive = Type.Object({ success: Type.Literal(true) }, { additionalProperties: false, examples: [{ success: true }] });

export const Message = Type.Object(
  { message: Type.String() },
  { additionalProperties: false, examples: [{ message: 'If the address belongs to an account, a password reset code has been sent to it.' }] },
);

/** POST …/reset_token: the new API token as a JSON string. */
export const ApiToken = Type.String({ description: 'The new API token', examples: [EXAMPLE_TOKEN] });

/** v9 and the accounts service: an error is a JSON string. */
export const TogglError = Type.String({
 
  description: 'Toggl v9 and accounts error: a JSON string',
  examples: ['Incorrect username and/or password'],
});

/** v8: an error is a JSON array of messages (and a failed authentication an empty 403). */
export const TogglV8Error = Type.Array(Type.String(), {
 
  description: 'Toggl v8 error: a JSON array of messages',
  examples: [['Password must be at least 8 characters long']],
});
