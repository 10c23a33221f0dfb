// A real SMTP server process for tests (the `smtp-server` package on a loopback port). It prints
// `LISTENING <port>` once, then one `MAIL <json>` line per message received: {to, from, subject, text}.
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, session, callback) {
    simpleParser(stream)
      .then((mail) => {
        const to = session.envelope.rcptTo.map((r) => r.address);
        process.stdout.write(`MAIL ${JSON.stringify({ to, from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null, subject: mail.subject ?? '', text: mail.text ?? '' })}\n`);
        callback();
      })
      .catch((err: Error) => callback(err));
  },
});

// An optional port as the first argument (a test that brings the SMTP server back on the same address).
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`LISTENING ${port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
