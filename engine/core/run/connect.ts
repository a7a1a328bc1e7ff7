// One persistent connection per host for the whole run, opened on first use.
import { LocalConnection } from '../connection/local';
import { resolveSshTarget, SshConnection } from '../connection/ssh';
import type { Connection } from '../connection/types';
import type { Vars } from '../load/types';
import { DEFAULT_LOCK_FILE, takeHostLock } from './lock';
import type { RunContext } from './state';

function isLocal(host: string, vars: Vars, playConnection?: string): boolean {
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
    conn = openLocked(run, host, vars, playConnection, remoteUser);
    // A failed connection is not cached as failed forever: a later play may retry.
    conn.catch(() => run.connections.delete(host));
    run.connections.set(host, conn);
  }
  return conn;
}

/** Opens the host's connection and takes its run lock; a lock still held after the grace fails the host. */
async function openLocked(run: RunContext, host: string, vars: Vars, playConnection?: string, remoteUser?: string): Promise<Connection> {
  // The controller itself (local connection) is no cluster node: only remote hosts are locked.
  if (isLocal(host, vars, playConnection)) return new LocalConnection(host);
  const withUser = vars.ansible_user === undefined && remoteUser ? { ...vars, ansible_user: remoteUser } : vars;
  const target = resolveSshTarget(host, withUser, {
    acceptNewHostKeys: run.options.acceptNewHostKeys,
    sshConfigFile: run.options.sshConfigFile,
    knownHostsFile: run.options.knownHostsFile,
  });
  const conn = await SshConnection.open(target);
  let release: () => Promise<void>;
  try {
    release = await takeHostLock(conn, String(vars.engine_lock_file ?? DEFAULT_LOCK_FILE), run.lockOwner);
  } catch (err) {
    await conn.close();
    throw err;
  }
  // Closing at the end of the run releases the lock first, so the next run finds it free.
  return {
    host: conn.host,
    user: conn.user,
    run: (command, options) => conn.run(command, options),
    isOpen: () => conn.isOpen(),
    close: async () => {
      if (conn.isOpen()) await release().catch(() => undefined);
      await conn.close();
    },
  };
}

export async function closeAll(run: RunContext): Promise<void> {
  const all = [...run.connections.values()];
  run.connections.clear();
  await Promise.all(all.map((c) => c.then((x) => x.close()).catch(() => undefined)));
}
