// Turns a command line plus ExecOptions into the exact script a remote /bin/sh runs.
import { randomBytes } from 'node:crypto';
import { quote } from './quote';
import type { ExecOptions } from './types';

/**
 * How the become password reaches sudo: only when sudo itself asks. The prompt and the line the
 * command prints once sudo let it start are random per command, so no output can fake them.
 */
export interface BecomeHandshake {
  password: string;
  prompt: string;
  ready: string;
}

/** Seconds `timeout` waits after TERM before it sends KILL. */
const KILL_AFTER = 5;

/**
 * Builds the final command. Environment and cwd are set inside the shell that runs the command;
 * become wraps everything in sudo; `timeout` (outermost, so it also ends what sudo started: sudo
 * relays the signal) ends the command on the host when the task's time is up. The login shell
 * runs what it is sent; when it is /bin/sh itself (`loginShellIsSh`), a plain command goes to it
 * as is, not through a second /bin/sh: one exec less per command on the host.
 */
export function wrapCommand(
  command: string,
  loginUser: string,
  options: ExecOptions = {},
  loginShellIsSh = false,
): { script: string; handshake?: BecomeHandshake } {
  let body = command;
  if (options.cwd) body = `cd ${quote(options.cwd)} && ${body}`;
  const env = Object.entries(options.env ?? {});
  if (env.length) body = `${env.map(([k, v]) => `export ${checkEnvName(k)}=${quote(v)}`).join('; ')}; ${body}`;
  const limit = options.timeoutSec === undefined ? '' : `timeout -k ${KILL_AFTER} ${Math.max(1, Math.ceil(options.timeoutSec))} `;
  const become = options.become;
  if (!become || become.user === loginUser) return { script: !limit && loginShellIsSh ? body : `${limit}/bin/sh -c ${quote(body)}` };
  if (become.password === undefined) return { script: `${limit}sudo -H -n -u ${quote(become.user)} -- /bin/sh -c ${quote(body)}` };
  const marker = randomBytes(12).toString('hex');
  const handshake = { password: become.password, prompt: `[sudo via engine ${marker}] `, ready: `engine-become-ok ${marker}` };
  const started = `printf '%s\\n' ${quote(handshake.ready)} >&2; ${body}`;
  return { script: `${limit}sudo -H -S -p ${quote(handshake.prompt)} -u ${quote(become.user)} -- /bin/sh -c ${quote(started)}`, handshake };
}

function checkEnvName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid environment variable name '${name}'`);
  return name;
}
