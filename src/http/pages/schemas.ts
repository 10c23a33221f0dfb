// One TypeBox schema per page route: what each form and query may carry. Fields are bounded strings (the
// core checks their content); `_csrf` is optional here so that a missing token is the anti-forgery check's
// 403, not a validation 400.
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const text = (max = 1024) => Type.String({ maxLength: max });
const csrf = { _csrf: Type.Optional(text(256)) };
/** Hidden `username` fields help password managers; they are ignored. */
const username = { username: Type.Optional(text()) };
const checkbox = Type.Optional(Type.Literal('on'));
const form = <T extends Record<string, TSchema>>(props: T) => Type.Object({ ...csrf, ...props }, { additionalProperties: false });

declare module 'fastify' {
  // What an OpenAPI generator reads from a route schema (the same declarations as @fastify/swagger's).
  interface FastifySchema {
    summary?: string;
    tags?: readonly string[];
  }
}

/** The OpenAPI tag of the account pages (src/http/openapi.ts documents their HTML answers by it). */
export const PAGE_TAG = 'Account pages';
export const TAGS: readonly string[] = [PAGE_TAG];

export const NoticeQuery = Type.Object({ done: Type.Optional(text(32)) });
export type NoticeQuery = Static<typeof NoticeQuery>;

export const LoginQuery = Type.Object({ return_to: Type.Optional(text(2048)), done: Type.Optional(text(32)) });
export type LoginQuery = Static<typeof LoginQuery>;

export const SignupForm = form({ email: text(), password: text(), name: Type.Optional(text()), timezone: Type.Optional(text(128)), terms: checkbox });
export type SignupForm = Static<typeof SignupForm>;

export const LoginForm = form({ email: text(), password: text(), remember: checkbox, return_to: Type.Optional(text(2048)) });
export type LoginForm = Static<typeof LoginForm>;

export const ForgotForm = form({ email: text() });
export type ForgotForm = Static<typeof ForgotForm>;

export const CodeParams = Type.Object({ code: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9]+$' }) });
export type CodeParams = Static<typeof CodeParams>;

export const ResetForm = form({ ...username, password: text(), confirm: text() });
export type ResetForm = Static<typeof ResetForm>;

export const EmptyForm = form({});
export type EmptyForm = Static<typeof EmptyForm>;

export const ProfileForm = form({ name: text(), email: text(), timezone: text(128) });
export type ProfileForm = Static<typeof ProfileForm>;

export const PasswordForm = form({ ...username, current_password: text(), password: text(), confirm: text() });
export type PasswordForm = Static<typeof PasswordForm>;

export const CloseForm = form({ ...username, password: text() });
export type CloseForm = Static<typeof CloseForm>;

export const SessionParams = Type.Object({ id: Type.String({ pattern: '^[1-9][0-9]{0,14}$' }) });
export type SessionParams = Static<typeof SessionParams>;

export const AssetParams = Type.Object({ file: Type.String({ maxLength: 80 }) });
export type AssetParams = Static<typeof AssetParams>;
