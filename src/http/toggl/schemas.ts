// TypeBox schemas shared by the Toggl routes' own schemas: the profile fields every generation accepts.
import { Type, type Static } from '@sinclair/typebox';

/** `?with_related_data=true` and `?since=<unix>`; other query parameters are ignored, as upstream does. */
export const MeQuery = Type.Object({
  with_related_data: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
  since: Type.Optional(Type.String({ pattern: '^[0-9]{1,12}$' })),
});
export type MeQuery = Static<typeof MeQuery>;

export const ProfileFields = {
  fullname: Type.Optional(Type.String({ maxLength: 1024 })),
  email: Type.Optional(Type.String({ maxLength: 1024 })),
  timezone: Type.Optional(Type.String({ maxLength: 128 })),
  beginning_of_week: Type.Optional(Type.Integer()),
  default_workspace_id: Type.Optional(Type.Integer()),
  country_id: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  current_password: Type.Optional(Type.String({ maxLength: 1024 })),
  password: Type.Optional(Type.String({ maxLength: 1024 })),
};

export const ProfileBody = Type.Object(ProfileFields, {
  additionalProperties: false,
  examples: [{ fullname: 'Ada King', timezone: 'Europe/Paris' }, { current_password: 'correct-horse-battery-staple', password: 'a-new-long-passphrase' }],
});
export type ProfileBody = Static<typeof ProfileBody>;

export function profilePatch(b: ProfileBody) {
  return {
    fullname: b.fullname,
    email: b.email,
    timezone: b.timezone,
    beginningOfWeek: b.beginning_of_week,
    defaultWorkspaceId: b.default_workspace_id,
    countryId: b.country_id,
    currentPassword: b.current_password,
    password: b.password,
  };
}
