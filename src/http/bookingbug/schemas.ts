// TypeBox schemas of the BookingBug routes. Form and multipart bodies carry only strings, so numeric ids
// are accepted as JSON integers or as digit strings; `toId` turns either into a number.
import { Type, type Static } from '@sinclair/typebox';

export const Id = Type.Union([Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }), Type.String({ pattern: '^[1-9][0-9]{0,14}$' })]);
export type Id = Static<typeof Id>;

export function toId(id: Id): number {
  return typeof id === 'number' ? id : Number(id);
}

const Email = Type.String({ minLength: 1, maxLength: 1024 });
const Password = Type.String({ minLength: 1, maxLength: 1024 });

/** Unknown fields are ignored (ours): clients of this API send extra fields freely. */
export const LoginBody = Type.Object({ email: Email, password: Password, id: Type.Optional(Id) }, { examples: [{ email: 'grace@example.com', password: 'correct-horse-battery-staple', id: 37000 }] });
export type LoginBody = Static<typeof LoginBody>;

export const CompanyLoginBody = Type.Object(
  { email: Email, password: Password, role: Type.Optional(Type.String({ maxLength: 32 })) },
  { examples: [{ email: 'alan@example.com', password: 'correct-horse-battery-staple', role: 'member' }] },
);
export type CompanyLoginBody = Static<typeof CompanyLoginBody>;

export const AdminLoginBody = Type.Object({ email: Email, password: Password }, { examples: [{ email: 'grace@example.com', password: 'correct-horse-battery-staple' }] });
export type AdminLoginBody = Static<typeof AdminLoginBody>;

export const SwitchCompanyBody = Type.Object({ company_id: Id }, { examples: [{ company_id: 37001 }] });
export type SwitchCompanyBody = Static<typeof SwitchCompanyBody>;

export const CompanyParams = Type.Object({ company_id: Type.String({ pattern: '^[1-9][0-9]{0,14}$' }) });
export type CompanyParams = Static<typeof CompanyParams>;

export const CompanyItemParams = Type.Object({ company_id: Type.String({ pattern: '^[1-9][0-9]{0,14}$' }), id: Type.String({ pattern: '^[1-9][0-9]{0,14}$' }) });
export type CompanyItemParams = Static<typeof CompanyItemParams>;

export const ResetRequestBody = Type.Object({ email: Type.String({ maxLength: 1024 }), path: Type.Optional(Type.String({ maxLength: 2048 })) }, { examples: [{ email: 'grace@example.com' }] });
export type ResetRequestBody = Static<typeof ResetRequestBody>;

export const ResetBody = Type.Object(
  { reset_password_token: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ maxLength: 1024 }) },
  { examples: [{ reset_password_token: 'EVKMY34P7GX5', password: 'a-new-long-passphrase' }] },
);
export type ResetBody = Static<typeof ResetBody>;
