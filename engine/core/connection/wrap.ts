// Turns a command line plus ExecOptions into the exact script a remote /bin/sh runs.
import { randomBytes } from 'node:crypto';
import { quote } from './quote';
import type { Become, ExecOptions } from './types';

/**
 * How the become password reaches sudo or su: only when it asks. sudo's prompt and the line the
 * command prints once it may start are random per command, so no output can fake them; su's
 * prompt is fixed ('Password: ' under LC_ALL=C), but until the ready line only su itself writes.
 */
export interface BecomeHandshake {
  method: 'sudo' | 'su';
  password: string;
  prompt: string;
  ready: string;
}

/** Seconds `timeout` waits after TERM before it sends KILL. */
const KILL_AFTER = 5;

/**
 * Builds the final command. Environment and cwd are set inside the shell that runs the command;
 * become wraps everything in sudo or su; `timeout` (outermost, so it also ends what sudo started: sudo
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
  return become.method === 'su' ? wrapSu(body, become, limit) : wrapSudo(body, become, limit);
}

function wrapSudo(body: string, become: Become, limit: string): { script: string; handshake?: BecomeHandshake } {
  if (become.password === undefined) return { script: `${limit}sudo -H -n -u ${quote(become.user)} -- /bin/sh -c ${quote(body)}` };
  const marker = randomBytes(12).toString('hex');
  const handshake: BecomeHandshake = { method: 'sudo', password: become.password, prompt: `[sudo via engine ${marker}] `, ready: readyLine(marker) };
  const started = afterReadyLine(handshake, body);
  return { script: `${limit}sudo -H -S -p ${quote(handshake.prompt)} -u ${quote(become.user)} -- /bin/sh -c ${quote(started)}`, handshake };
}

/**
 * su has no non-interactive flag and no prompt of our choosing: without a password it runs as is
 * (root, or PAM that asks none); with one, util-linux su reads it from stdin when there is no
 * terminal, after its fixed prompt on stderr, and a wrong one ends it at once (rc 1).
 */
function wrapSu(body: string, become: Become, limit: string): { script: string; handshake?: BecomeHandshake } {
  const su = `${limit}su -s /bin/sh ${quote(become.user)} -c`;
  if (become.password === undefined) return { script: `${su} ${quote(body)}` };
  const handshake: BecomeHandshake = { method: 'su', password: become.password, prompt: 'Password: ', ready: readyLine(randomBytes(12).toString('hex')) };
  const started = afterReadyLine(handshake, body);
  return { script: `LC_ALL=C ${su} ${quote(started)}`, handshake };
}

function readyLine(marker: string): string {
  return `engine-become-ok ${marker}`;
}

/** The body, after the line that tells the controller sudo or su let it start. */
function afterReadyLine(handshake: BecomeHandshake, body: string): string {
  return `printf '%s\\n' ${quote(handshake.ready)} >&2; ${body}`;
}

function checkEnvName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid environment variable name '${name}'`);
  return name;
}
