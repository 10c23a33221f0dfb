// Loopback ports for tests: one to listen on, and one that nothing listens on.
import { createServer } from 'node:net';

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, '127.0.0.1', () => {
      const address = s.address();
      const bound = typeof address === 'object' && address ? address.port : undefined;
      s.close(() => resolve(bound));
    });
  });
}

/** A TCP port free on loopback right now, for a server the test is about to start. */
export async function freePort(): Promise<number> {
  const port = await tryListen(0);
  if (port === undefined) throw new Error('no free loopback port');
  return port;
}

/**
 * A port nothing listens on, for a peer that is down: below Linux's ephemeral range (32768 and up). A
 * connection to a free port in that range can be given the same port as its own source and connect to itself
 * (TCP simultaneous open), and the "down" peer would then accept and never answer.
 */
export async function closedPort(): Promise<number> {
  for (;;) {
    const port = await tryListen(20000 + Math.floor(Math.random() * 12000));
    if (port !== undefined) return port;
  }
}
