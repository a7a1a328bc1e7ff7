// The controller's side of one running command, for every transport: collects its output, feeds
// its stdin, and answers sudo's or su's password prompt (and nothing else) with the become password.
import type { Readable, Writable } from 'node:stream';
import type { ExecResult } from './types';
import type { BecomeHandshake } from './wrap';

export interface CommandStreams {
  stdout: Readable;
  stderr: Readable;
  stdin: Writable;
  /** Resolves with the exit code (null when a signal ended the command) once all output is in. */
  exited: Promise<{ code: number | null; signal?: string | null }>;
}

/**
 * Sends stdin only once the command runs. With a become password, stderr is watched until sudo
 * or su either prompts (the password is written, once: a second prompt means it was wrong, and
 * stdin is closed so sudo gives up) or lets the command start (its ready line). Neither marker reaches the
 * result. Without a password, stdin goes at once.
 */
export async function converse(streams: CommandStreams, stdin: string | Buffer | undefined, handshake?: BecomeHandshake): Promise<ExecResult> {
  const out: Buffer[] = [];
  let err = '';
  let waiting = handshake !== undefined;
  let prompted = false;
  let refused = false;
  streams.stdin.on('error', () => undefined); // the command may exit without reading stdin
  const sendInput = () => streams.stdin.end(stdin ?? '');
  streams.stdout.on('data', (d: Buffer) => out.push(d));
  streams.stderr.on('data', (d: Buffer) => {
    err += d.toString('utf8');
    if (!waiting || !handshake) return;
    if (err.includes(handshake.ready)) {
      waiting = false;
      err = err.replace(`${handshake.ready}\n`, '').split(handshake.prompt).join('');
      sendInput();
    } else if (err.includes(handshake.prompt)) {
      err = err.split(handshake.prompt).join('');
      if (!prompted) {
        prompted = true;
        streams.stdin.write(`${handshake.password}\n`);
      } else {
        refused = true;
        waiting = false;
        streams.stdin.end();
      }
    }
  });
  if (!waiting) sendInput();
  const { code, signal } = await streams.exited;
  // su does not ask twice: a prompt answered, no ready line and a failure mean the same.
  if (handshake && prompted && waiting && code !== 0) refused = true;
  const stderr = refused && handshake ? `incorrect become (${handshake.method}) password\n${err}` : err;
  return { rc: code ?? (signal ? 128 : 255), stdout: Buffer.concat(out).toString('utf8'), stderr };
}
