// The SIP client the lab tests measure failovers with: an OPTIONS transaction keeps RFC 3261's
// timers (retransmit after 0.5 s, doubling up to 4 s, give up at 32 s), so a short gap in the
// service is a late answer, not a failed transaction. Against a UDP server on loopback.
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { sipOptions, sipTransaction } from '../../engine/cluster/sip/options';

let server: Socket | undefined;
afterEach(() => server?.close());

/** A server that stays silent for the first `silent` datagrams, then answers; records arrivals. */
function server200After(silent: number): Promise<{ port: number; arrivals: number[] }> {
  const arrivals: number[] = [];
  const socket = createSocket('udp4');
  server = socket;
  socket.on('message', (msg, from) => {
    arrivals.push(Date.now());
    if (arrivals.length <= silent) return;
    const via = msg
      .toString()
      .split('\r\n')
      .find((l) => l.startsWith('Via:'));
    socket.send(`SIP/2.0 200 OK late\r\n${via}\r\nContent-Length: 0\r\n\r\n`, from.port, from.address);
  });
  return new Promise((resolve) => socket.bind(0, '127.0.0.1', () => resolve({ port: socket.address().port, arrivals })));
}

describe('sipTransaction', () => {
  it('retransmits the same request after 0.5, 1.5 and 3.5 s and takes the answer to the fourth', async () => {
    const { port, arrivals } = await server200After(3);
    const answer = await sipTransaction('127.0.0.1', port);
    expect(answer).toBe('SIP/2.0 200 OK late');
    expect(arrivals).toHaveLength(4);
    const offsets = arrivals.map((t) => t - arrivals[0]);
    for (const [i, expected] of [0, 500, 1500, 3500].entries()) expect(Math.abs(offsets[i] - expected), `send ${i}`).toBeLessThan(150);
  }, 10_000);

  it('a one-shot probe gives up where the transaction would still wait', async () => {
    const { port, arrivals } = await server200After(1);
    expect(await sipOptions('127.0.0.1', port, 300)).toBeUndefined();
    expect(arrivals).toHaveLength(1);
  });
});
