// Mail transports: SMTP through nodemailer when SMTP_URL is set, otherwise a development transport
// that writes each mail to standard error (standard output carries only JSON log lines).
import { createRequire } from 'node:module';
import type Nodemailer from 'nodemailer';
import type { MailMessage, MailTransport } from '../core/outbox.js';

export function smtpTransport(url: string, from: string): MailTransport {
  // Loaded only when SMTP is configured (issue 9: only what start needs is imported at start).
  const nodemailer = createRequire(import.meta.url)('nodemailer') as typeof Nodemailer;
  const transporter = nodemailer.createTransport(url);
  return {
    async send(message: MailMessage) {
      await transporter.sendMail({ from, to: message.to, subject: message.subject, text: message.text, html: message.html });
    },
    async close() {
      transporter.close();
    },
  };
}

export function developmentTransport(write: (text: string) => void = (t) => process.stderr.write(t)): MailTransport {
  return {
    async send(message: MailMessage) {
      write(`\n----- mail (development transport: set SMTP_URL to send real mail) -----\nTo: ${message.to}\nSubject: ${message.subject}\n\n${message.text}\n-----\n`);
    },
    async close() {},
  };
}
