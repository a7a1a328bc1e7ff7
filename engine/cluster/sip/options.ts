// A SIP OPTIONS probe over UDP: does the PBX answer on an address, and which node says so.
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';

function optionsRequest(host: string, address: string, localPort: number, user?: string): string {
  const id = randomBytes(8).toString('hex');
  const uri = `sip:${user ? `${user}@` : ''}${host}`;
  return [
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
}

/** The address of this machine towards `host` (what a request's Via and Contact name). */
export function localAddressTowards(host: string, port: number): Promise<string> {
  const socket = createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(port, host, () => {
      const { address } = socket.address();
      socket.close();
      resolve(address);
    });
  });
}

/**
 * Sends one OPTIONS and resolves with the status line of the first answer, or undefined when none
 * came in time. A probe (no retransmissions) connects its socket, so a port that refuses (ICMP)
 * ends it at once; a transaction that retransmits at `retransmitAt` (ms from the first send) does
 * not, as SIP phones do not: an ICMP error while the PBX moves is no answer yet, not a failure.
 */
async function optionsTransaction(host: string, port: number, timeoutMs: number, user?: string, retransmitAt: number[] = []): Promise<string | undefined> {
  const address = retransmitAt.length ? await localAddressTowards(host, port).catch(() => undefined) : undefined;
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const timers: NodeJS.Timeout[] = [];
    const done = (line: string | undefined) => {
      for (const t of timers) clearTimeout(t);
      socket.close();
      resolve(line);
    };
    timers.push(setTimeout(() => done(undefined), timeoutMs));
    socket.on('error', () => done(undefined));
    socket.on('message', (msg, from) => {
      // The unbound socket of a transaction may hear others; a host given by name is not checked.
      if (from.port === port && (!isIP(host) || from.address === host)) done(msg.toString().split('\r\n')[0]);
    });
    const begin = (send: (request: string) => void) => {
      const local = socket.address();
      const request = optionsRequest(host, local.address, local.port, user);
      send(request);
      for (const at of retransmitAt) timers.push(setTimeout(() => send(request), at));
    };
    if (address) socket.bind(0, address, () => begin((request) => socket.send(request, port, host)));
    else socket.connect(port, host, () => begin((request) => socket.send(request)));
  });
}

/** The status line of the answer ("SIP/2.0 200 OK from pbx02"), or undefined on timeout. */
export function sipOptions(host: string, port = 5060, timeoutMs = 300, user?: string): Promise<string | undefined> {
  return optionsTransaction(host, port, timeoutMs, user);
}

/** RFC 3261's timers for a non-INVITE client transaction over UDP (17.1.2.2). */
const T1 = 500;
const T2 = 4000;
const TIMER_F = 64 * T1;

/** Timer E: a retransmission after T1, then at doubling intervals capped at T2, until Timer F. */
function timerE(): number[] {
  const at: number[] = [];
  for (let interval = T1, t = T1; t < TIMER_F; interval = Math.min(2 * interval, T2), t += interval) at.push(t);
  return at;
}

/**
 * One OPTIONS transaction as a SIP client with RFC 3261 timers runs it: answered (the status line)
 * or failed (undefined) when Timer F fires 32 s after the first send.
 */
export function sipTransaction(host: string, port = 5060, user?: string): Promise<string | undefined> {
  return optionsTransaction(host, port, TIMER_F, user, timerE());
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
