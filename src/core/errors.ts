// The core's errors: one closed list of codes. Dialects map each code to their own status and wire format
// (see src/http/*/errors.ts); the core never speaks HTTP.

export type CoreErrorCode =
  | 'invalid_credentials'
  | 'locked'
  | 'account_disabled'
  | 'rate_limited'
  | 'overloaded'
  | 'invalid_input'
  | 'email_taken'
  | 'reset_code_invalid'
  | 'not_found'
  | 'invalid_application'
  | 'forbidden'
  | 'company_not_found';

export interface FieldProblem {
  field: string;
  message: string;
}

export class CoreError extends Error {
  constructor(
    readonly code: CoreErrorCode,
    message: string,
    readonly extra: {
      /** Seconds until the caller may try again (locked, rate_limited, overloaded). */
      retryAfter?: number;
      /** Password attempts left before lockout (invalid_credentials on a password login). */
      remainingAttempts?: number;
      problems?: FieldProblem[];
    } = {},
  ) {
    super(message);
    this.name = 'CoreError';
  }
}

export const invalidCredentials = (remainingAttempts?: number) =>
  new CoreError('invalid_credentials', 'Incorrect username and/or password', remainingAttempts === undefined ? {} : { remainingAttempts });

export const invalidInput = (problems: FieldProblem[]) =>
  new CoreError('invalid_input', problems.map((p) => p.message).join('; '), { problems });
