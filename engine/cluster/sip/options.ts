// A SIP OPTIONS probe over UDP: does the PBX answer on an address, and which node says so.
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';

/** The status line of the answer ("SIP/2.0 200 OK from pbx02"), or undefined on timeout. */
export function sipOptions(host: string, port = 5060, timeoutMs = 300, user?: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const done = (line: string | undefined) => {
      clearTimeout(timer);
      socket.close();
      resolve(line);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on('error', () => done(undefined));
    socket.on('message', (msg) => done(msg.toString().split('\r\n')[0]));
    socket.connect(port, host, () => {
      const { address, port: localPort } = socket.address();
      const id = randomBytes(8).toString('hex');
      const uri = `sip:${user ? `${user}@` : ''}${host}`;
      const request = [
        `OPTIONS ${uri} SIP/2.0`,
        `Via: SIP/2.0/UDP ${address}:${localPort};branch=z9hG4bK${id}`,
        `From: <sip:probe@${address}>;tag=${id.slice(0, 6)}`,
        `To: <${uri}>`,
        `Call-ID: ${id}`,
        'CSeq: 1 OPTIONS',
        'Max-Forwards: 70',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      socket.send(request);
    });
  });
}

/** Polls until `accept` likes an answer; resolves with the seconds it took, or undefined. */
export async function waitForSip(
  host: string,
  accept: (line: string) => boolean,
  limitMs: number,
  started = Date.now(),
  port = 5060,
): Promise<{ seconds: number; line: string } | undefined> {
  for (;;) {
    // At least one try, also with no time left (a dry run looks once).
    const line = await sipOptions(host, port);
    if (line && accept(line)) return { seconds: (Date.now() - started) / 1000, line };
    if (Date.now() - started >= limitMs) return undefined;
    await new Promise((r) => setTimeout(r, 100));
  }
}
