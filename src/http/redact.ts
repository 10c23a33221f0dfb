// Log hygiene: request URLs can carry a password reset code in their path; logs get it masked.
// Headers are never logged (see the serializers in app.ts).

export function redactUrl(url: string): string {
  return url
    .replace(/(\/password_reset\/)[^/?#]+/gi, '$1[redacted]')
    .replace(/(\/reset-password\/)[^/?#]+/gi, '$1[redacted]')
    .replace(/([?&](?:code|token|reset_password_token)=)[^&#]*/gi, '$1[redacted]');
}
