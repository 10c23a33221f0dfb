// Security notification mails, all their wording in this one module (security.md: the owner is told of a
// password change, a password reset, an email change and an API token reset). Each says what happened,
// when, from which client address and user agent, and what to do if it was not them.
import type { RequestContext } from './context.js';
import type { MailMessage } from './outbox.js';

export type NoticeEvent = 'password.change' | 'password.reset' | 'email.change' | 'api_token.reset';

export interface NoticeInput {
  event: NoticeEvent;
  /** Where the mail goes (for an email change: the old address). */
  to: string;
  /** Milliseconds since the epoch. */
  at: number;
  ctx: RequestContext;
  /** The new address, for an email change. */
  newEmail?: string | undefined;
  /** The server's public URL, for links in the advice. */
  publicUrl: string;
}

const SUBJECTS: Record<NoticeEvent, string> = {
  'password.change': 'Your password was changed',
  'password.reset': 'Your password was reset',
  'email.change': 'The email address of your account was changed',
  'api_token.reset': 'Your API token was reset',
};

function what(input: NoticeInput): string {
  switch (input.event) {
    case 'password.change':
      return 'The password of your account was changed.';
    case 'password.reset':
      return 'The password of your account was reset with a code sent to this address.';
    case 'email.change':
      return `The email address of your account was changed from this address to ${input.newEmail ?? 'another one'}.`;
    case 'api_token.reset':
      return 'The API token of your account was reset. Integrations that used the old token stop working until they get the new one.';
  }
}

function advice(input: NoticeInput): string[] {
  const reset = `${input.publicUrl}/api/password_reset`;
  switch (input.event) {
    case 'password.change':
    case 'password.reset':
      return [
        'If this was not you, someone else knows your password or can read your mail:',
        `  1. Reset your password at once (request a reset code: POST ${reset} with your email).`,
        '  2. Reset your API token too: it is not changed by a password change or reset, so whoever changed',
        '     the password may still hold it (your profile, or POST /api/v9/me/reset_token).',
        '  3. Contact the operator of this service.',
      ];
    case 'email.change':
      return [
        'If this was not you, contact the operator of this service at once: mail about this account now goes',
        'to the new address. Then reset your password and your API token.',
      ];
    case 'api_token.reset':
      return ['If this was not you, someone can sign in to your account: reset your password, then reset the API token again.'];
  }
}

/** The notification mail for a security event. */
export function securityNotice(input: NoticeInput): MailMessage {
  const when = new Date(input.at).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  const from = input.ctx.operator === true ? 'the operator\'s command line' : `address ${input.ctx.ip}`;
  const agent = input.ctx.userAgent ? input.ctx.userAgent.slice(0, 200) : 'unknown';
  return {
    to: input.to,
    subject: SUBJECTS[input.event],
    text: [what(input), '', `When: ${when}`, `From: ${from}`, `Client (user agent): ${agent}`, '', 'If this was you, there is nothing to do.', '', ...advice(input)].join('\n'),
  };
}
