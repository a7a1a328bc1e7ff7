// Turns a command line plus ExecOptions into the exact script a remote /bin/sh runs.
import { quote } from './quote';
import type { ExecOptions } from './types';

/**
 * Builds the final command. Environment and cwd are set inside the shell that runs the
 * command; become wraps everything in sudo, which reads its password (if any) from the first
 * line of stdin. Returns the script and the stdin to send.
 */
export function wrapCommand(command: string, loginUser: string, options: ExecOptions = {}): { script: string; stdin?: string | Buffer } {
  let body = command;
  if (options.cwd) body = `cd ${quote(options.cwd)} && ${body}`;
  const env = Object.entries(options.env ?? {});
  if (env.length) body = `${env.map(([k, v]) => `export ${checkEnvName(k)}=${quote(v)}`).join('; ')}; ${body}`;
  const become = options.become;
  if (!become || become.user === loginUser) return { script: `/bin/sh -c ${quote(body)}`, stdin: options.stdin };
  const sudo = become.password !== undefined ? 'sudo -H -S -p ""' : 'sudo -H -n';
  const script = `${sudo} -u ${quote(become.user)} -- /bin/sh -c ${quote(body)}`;
  if (become.password === undefined) return { script, stdin: options.stdin };
  const rest = options.stdin === undefined ? Buffer.alloc(0) : Buffer.from(options.stdin);
  return { script, stdin: Buffer.concat([Buffer.from(`${become.password}\n`), rest]) };
}

function checkEnvName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid environment variable name '${name}'`);
  return name;
}
