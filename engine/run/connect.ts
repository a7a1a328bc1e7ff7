// One persistent connection per host for the whole run, opened on first use.
import { LocalConnection } from '../connection/local';
import { resolveSshTarget, SshConnection } from '../connection/ssh';
import type { Connection } from '../connection/types';
import type { Vars } from '../load/types';
import type { RunContext } from './state';

export function isLocal(host: string, vars: Vars, playConnection?: string): boolean {
  const kind = String(vars.ansible_connection ?? playConnection ?? (host === 'localhost' || host === '127.0.0.1' ? 'local' : 'ssh'));
  return kind === 'local';
}

/** Returns the pooled connection of a host, opening it (with its resolved vars) the first time. */
export async function connectionFor(run: RunContext, host: string, vars: Vars, playConnection?: string, remoteUser?: string): Promise<Connection> {
  let conn = run.connections.get(host);
  // A connection that went away (reset, hung, closed) is opened again for the next task.
  if (conn && !(await conn).isOpen()) {
    if (run.connections.get(host) === conn) run.connections.delete(host);
    conn = run.connections.get(host);
  }
  if (!conn) {
    if (isLocal(host, vars, playConnection)) conn = Promise.resolve(new LocalConnection(host));
    else {
      const withUser = vars.ansible_user === undefined && remoteUser ? { ...vars, ansible_user: remoteUser } : vars;
      const target = resolveSshTarget(host, withUser, { acceptNewHostKeys: run.options.acceptNewHostKeys, sshConfigFile: run.options.sshConfigFile, knownHostsFile: run.options.knownHostsFile });
      conn = SshConnection.open(target);
    }
    // A failed connection is not cached as failed forever: a later play may retry.
    conn.catch(() => run.connections.delete(host));
    run.connections.set(host, conn);
  }
  return conn;
}

export async function closeAll(run: RunContext): Promise<void> {
  const all = [...run.connections.values()];
  run.connections.clear();
  await Promise.all(all.map((c) => c.then((x) => x.close()).catch(() => undefined)));
}
