// One run at a time per host, hence per cluster: the first connection of a run takes an flock on
// the host and keeps it through a watcher process that lives as long as the ssh session. A
// killed run's lock goes with its connection: the kernel
// releases it, so a stale lock cannot block the next run. A second run is refused with who holds
// the lock and since when.
import { hostname, userInfo } from 'node:os';
import { quote } from '../connection/quote';
import type { Connection } from '../connection/types';
import { ModuleError } from '../modules/types';

export const DEFAULT_LOCK_FILE = '/run/lock/pbx-engine.lock';

/** How long a run waits for a lock before it is refused. */
const GRACE_SECONDS = 5;

/** Raised when another run holds the host's lock: that host fails, with the holder named. */
class HostLocked extends ModuleError {}

/** Who this run is, as the lock's info file tells a second run. */
export function lockOwner(playbook: string): string {
  return `run of ${playbook} by ${userInfo().username}@${hostname()} (pid ${process.pid}) since ${new Date().toISOString()}`;
}

/**
 * The lock script. The watcher inherits the locked descriptor and polls the session process:
 * the sshd serving this connection, found up the process tree. The sleeps do not hold the lock.
 */
function lockScript(file: string, owner: string): string {
  const l = quote(file);
  const findSession = `session=$$; while [ "$session" -gt 1 ] && [ "$(cat /proc/$session/comm 2>/dev/null)" != sshd ]; do session=$(cut -d' ' -f4 /proc/$session/stat); done`;
  return [
    `umask 000; exec 9>>${l} || { echo "cannot open the lock file ${file}" >&2; exit 3; }`,
    // A few seconds' grace: a run just killed or interrupted lets go once its session ends.
    `if ! flock -w ${GRACE_SECONDS} 9; then printf 'held\\n'; cat ${quote(`${file}.info`)} 2>/dev/null; exit 0; fi`,
    `printf '%s\\n' ${quote(owner)} > ${quote(`${file}.info`)}`,
    findSession,
    // Alive and not a zombie (an init that does not reap would keep a dead session "there").
    `( while s=$(cut -d' ' -f3 /proc/"$session"/stat 2>/dev/null) && [ "$s" != Z ]; do sleep 1 9>&-; done ) </dev/null >/dev/null 2>&1 &`,
    `printf 'locked %s\\n' $!`,
  ].join('\n');
}

/** Takes the lock; resolves with what releases it at once (a closed session releases it within a second). */
export async function takeHostLock(conn: Connection, file: string, owner: string): Promise<() => Promise<void>> {
  const res = await conn.run(lockScript(file, owner));
  if (res.rc !== 0) throw new HostLocked(`cannot take the run lock ${file}: ${res.stderr.trim() || `exit ${res.rc}`}`);
  const [state, ...holder] = res.stdout.trim().split('\n');
  const heldBy = holder.join(' ').trim();
  // Two inventory names for one host share its lock: this run holds it already.
  if (state === 'held' && heldBy === owner) return async () => undefined;
  if (state === 'held') throw new HostLocked(`another run holds the lock ${file} on this host: ${heldBy || 'holder unknown'}; wait for it to finish`);
  const watcher = Number(state.split(' ')[1]);
  return async () => void (await conn.run(`kill ${watcher} 2>/dev/null`));
}
