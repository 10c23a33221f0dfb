// The BookingBug dialect's answers as TypeBox schemas (HAL documents, spec bookingbug.md §3–§5), each with
// an example. Routes name them in `schema.response` (serialized by the compiled schema, shown in the OpenAPI
// document). The error body is rendered by errors.ts and described here for the document.
import { Type } from '@sinclair/typebox';

const Link = Type.Object({ href: Type.String(), templated: Type.Optional(Type.Boolean()), name: Type.Optional(Type.String()) }, { additionalProperties: false });
const Links = (names: string[], optional: string[] = []) =>
  Type.Object(Object.fromEntries([...names.map((n) => [n, Link]), ...optional.map((n) => [n, Type.Optional(Link)])]), { additionalProperties: false });
const Id = Type.Integer({ minimum: 1 });
const BASE = 'https://auth.example.com/api/v1';

export const Administrator = Type.Object(
  {
    id: Id,
    name: Type.String(),
    email: Type.String(),
    role: Type.String(),
    company_id: Id,
    company_name: Type.String(),
    _links: Links(['self', 'edit', 'company', 'login', 'base_login']),
  },
  { additionalProperties: false },
);

const ADMINISTRATOR_EXAMPLE = {
  id: 7,
  name: 'Grace Hopper',
  email: 'grace@example.com',
  role: 'owner',
  company_id: 37000,
  company_name: 'Harbour Dental',
  _links: {
    self: { href: `${BASE}/admin/37000/administrators/7` },
    edit: { href: `${BASE}/admin/37000/administrators/7/edit` },
    company: { href: `${BASE}/admin/37000/company` },
    login: { href: `${BASE}/login/admin/37000` },
    base_login: { href: `${BASE}/login/admin` },
  },
};

export const Member = Type.Object(
  {
    id: Id,
    first_name: Type.String(),
    last_name: Type.String(),
    name: Type.String(),
    email: Type.String(),
    company_id: Id,
    company_name: Type.String(),
    _links: Links(['self', 'login']),
  },
  { additionalProperties: false },
);

const MEMBER_EXAMPLE = {
  id: 12,
  first_name: 'Alan',
  last_name: 'Turing',
  name: 'Alan Turing',
  email: 'alan@example.com',
  company_id: 37000,
  company_name: 'Harbour Dental',
  _links: { self: { href: `${BASE}/37000/members/12` }, login: { href: `${BASE}/login/member/37000` } },
};

/** GET /api/v1/admin/{company_id}/company. */
export const Company = Type.Object(
  { id: Id, name: Type.String(), parent_id: Type.Unsafe<number | null>({ type: ['integer', 'null'] }), _links: Links(['self', 'administrators']) },
  {
    additionalProperties: false,
    examples: [{ id: 37000, name: 'Harbour Dental', parent_id: null, _links: { self: { href: `${BASE}/admin/37000/company` }, administrators: { href: `${BASE}/admin/37000/administrators` } } }],
  },
);

const Embedded = Type.Object({ members: Type.Array(Member), administrators: Type.Array(Administrator) }, { additionalProperties: false });

/** The answer to a login, and the re-rendered session: the Auth-Token and who it acts as. */
export const LoginResource = Type.Object(
  {
    email: Type.String(),
    auth_token: Type.String({ description: 'Send it as the Auth-Token header' }),
    company_id: Id,
    path: Type.String({ description: 'The API base URL' }),
    role: Type.Optional(Type.String({ description: 'An administrator’s role' })),
    _embedded: Embedded,
    _links: Links(['self'], ['administrator', 'member']),
  },
  {
    additionalProperties: false,
    examples: [
      {
        email: 'grace@example.com',
        auth_token: 'kP3fWq9ZcX1vB7nM2sT8yA',
        company_id: 37000,
        path: BASE,
        role: 'owner',
        _embedded: { members: [], administrators: [ADMINISTRATOR_EXAMPLE] },
        _links: { self: { href: `${BASE}/login/37000` }, administrator: { href: `${BASE}/admin/37000/administrators/7`, templated: true } },
      },
    ],
  },
);

/** 400 from a login when the email administers several companies and the request named none. */
export const ChooseCompany = Type.Object(
  {
    email: Type.String(),
    path: Type.String(),
    _embedded: Embedded,
    _links: Type.Object({ self: Link, administrators: Type.Array(Link) }, { additionalProperties: false }),
  },
  {
    additionalProperties: false,
    description: 'The email administers several companies: log in again at one of the links',
    examples: [
      {
        email: 'grace@example.com',
        path: BASE,
        _embedded: { members: [], administrators: [ADMINISTRATOR_EXAMPLE] },
        _links: { self: { href: `${BASE}/login/admin` }, administrators: [{ href: `${BASE}/login/admin/37000`, name: 'Harbour Dental' }] },
      },
    ],
  },
);

export const Administrators = Type.Object(
  { total_entries: Type.Integer({ minimum: 0 }), _embedded: Type.Object({ administrators: Type.Array(Administrator) }, { additionalProperties: false }), _links: Links(['self']) },
  {
    additionalProperties: false,
    examples: [{ total_entries: 1, _embedded: { administrators: [ADMINISTRATOR_EXAMPLE] }, _links: { self: { href: `${BASE}/admin/37000/administrators` } } }],
  },
);

export const AdministratorItem = Type.Object(Administrator.properties, { additionalProperties: false, examples: [ADMINISTRATOR_EXAMPLE] });

export const MemberItem = Type.Object(Member.properties, { additionalProperties: false, examples: [MEMBER_EXAMPLE] });

const ReadOnlyField = Type.Object({ type: Type.String(), readonly: Type.Boolean() }, { additionalProperties: false });

/** The administrator's edit form (read-only: administrators are edited by operators). */
export const AdministratorForm = Type.Object(
  {
    form: Type.Array(Type.String()),
    schema: Type.Object(
      { type: Type.Literal('object'), properties: Type.Object({ name: ReadOnlyField, email: ReadOnlyField, role: ReadOnlyField }, { additionalProperties: false }) },
      { additionalProperties: false },
    ),
    values: Type.Object({ name: Type.String(), email: Type.String(), role: Type.String() }, { additionalProperties: false }),
    _links: Links(['self']),
  },
  {
    additionalProperties: false,
    examples: [
      {
        form: ['name', 'email', 'role'],
        schema: {
          type: 'object',
          properties: { name: { type: 'string', readonly: true }, email: { type: 'string', readonly: true }, role: { type: 'string', readonly: true } },
        },
        values: { name: 'Grace Hopper', email: 'grace@example.com', role: 'owner' },
        _links: { self: { href: `${BASE}/admin/37000/administrators/7/edit` } },
      },
    ],
  },
);

export const Message = Type.Object({ message: Type.String() }, { additionalProperties: false, examples: [{ message: 'Logged out' }] });

export const BookingBugError = Type.Object(
  { error: Type.String() },
  { description: 'BookingBug error', examples: [{ error: 'Invalid email or password' }] },
);
