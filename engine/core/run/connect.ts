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

/**
 * Returns the pooled connection of a host, opening it (with its resolved vars) the first time. A
 * task's own remote_user (when no ansible_user overrides it, as in Ansible) gets a connection of
 * its own as that user, opened after the host's first one: that one holds the run lock.
 */
export async function connectionFor(
  run: RunContext,
  host: string,
  vars: Vars,
  playConnection?: string,
  remoteUser?: string,
  taskUser?: string,
): Promise<Connection> {
  const primary = await pooled(run, host, () => openLocked(run, host, vars, playConnection, remoteUser));
  if (taskUser === undefined || vars.ansible_user !== undefined || primary.user === taskUser || isLocal(host, vars, playConnection)) return primary;
  return pooled(run, `${taskUser}@${host}`, () => openAs(run, host, { ...vars, ansible_user: taskUser }));
}

async function pooled(run: RunContext, key: string, open: () => Promise<Connection>): Promise<Connection> {
  let conn = run.connections.get(key);
  // A connection that went away (reset, hung, closed) is opened again for the next task.
  if (conn && !(await conn).isOpen()) {
    if (run.connections.get(key) === conn) run.connections.delete(key);
    conn = run.connections.get(key);
  }
  if (!conn) {
    conn = open();
    // A failed connection is not cached as failed forever: a later play may retry.
    conn.catch(() => run.connections.delete(key));
    run.connections.set(key, conn);
  }
  return conn;
}

/** Opens the host's connection and takes its run lock; a lock still held after the grace fails the host. */
async function openLocked(run: RunContext, host: string, vars: Vars, playConnection?: string, remoteUser?: string): Promise<Connection> {
  // The controller itself (local connection) is no cluster node: only remote hosts are locked.
  if (isLocal(host, vars, playConnection)) return new LocalConnection(host);
  const withUser = vars.ansible_user === undefined && remoteUser ? { ...vars, ansible_user: remoteUser } : vars;
  const conn = await openSsh(run, host, withUser);
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

function openSsh(run: RunContext, host: string, vars: Vars): Promise<SshConnection> {
  const target = resolveSshTarget(host, vars, {
    acceptNewHostKeys: run.options.acceptNewHostKeys,
    sshConfigFile: run.options.sshConfigFile,
    knownHostsFile: run.options.knownHostsFile,
  });
  return SshConnection.open(target);
}

/** A second login to a host whose run lock the run holds already (a task's remote_user). */
async function openAs(run: RunContext, host: string, vars: Vars): Promise<Connection> {
  const conn = await openSsh(run, host, vars);
  return { host: conn.host, user: conn.user, run: (command, options) => conn.run(command, options), isOpen: () => conn.isOpen(), close: () => conn.close() };
}

export async function closeAll(run: RunContext): Promise<void> {
  const all = [...run.connections.values()];
  run.connections.clear();
  await Promise.all(all.map((c) => c.then((x) => x.close()).catch(() => undefined)));
}
