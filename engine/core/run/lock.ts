// One run at a time per host, hence per cluster: the first connection of a run takes an flock on
// the host in a command that runs as long as the run holds the host, reading its stdin to the end.
// Its stdin ends when the run lets go or when its connection drops (a killed run's connection
// goes with the process), and the kernel releases the lock with the command: a stale lock cannot
// block the next run, and nothing on the host polls for it. A second run is refused with who
// holds the lock and since when.
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { quote } from '../connection/quote';
import type { Held } from '../connection/types';
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

/** The lock script: `ready` once locked, then it waits for the end of its stdin (a builtin read). */
function lockScript(file: string, owner: string, ready: string): string {
  const l = quote(file);
  return [
    `umask 000; exec 9>>${l} || { echo "cannot open the lock file ${file}" >&2; exit 3; }`,
    // A few seconds' grace: a run just killed or interrupted lets go once its session ends.
    `if ! flock -w ${GRACE_SECONDS} 9; then printf 'held\\n'; cat ${quote(`${file}.info`)} 2>/dev/null; exit 0; fi`,
    `printf '%s\\n' ${quote(owner)} > ${quote(`${file}.info`)}`,
    // The login shell, said with the ready line: a /bin/sh needs no second one (wrapCommand).
    `printf 'shell %s\\n%s\\n' "$SHELL" ${quote(ready)}`,
    'while IFS= read -r line; do :; done',
  ].join('\n');
}

/** What takes the lock: a connection that can keep a command running, and learns its login shell. */
interface Lockable {
  hold(command: string, ready: string): Promise<Held>;
  setLoginShell(path: string): void;
}

/** Takes the lock; resolves with what releases it at once (a dropped connection releases it too). */
export async function takeHostLock(conn: Lockable, file: string, owner: string): Promise<() => Promise<void>> {
  const ready = `locked ${randomBytes(8).toString('hex')}`;
  const held = await conn.hold(lockScript(file, owner, ready), ready);
  if (held.rc === undefined) {
    conn.setLoginShell(/^shell (.*)$/m.exec(held.stdout)?.[1] ?? '');
    return held.release;
  }
  if (held.rc !== 0) throw new HostLocked(`cannot take the run lock ${file}: ${held.stderr.trim() || `exit ${held.rc}`}`);
  const [state, ...holder] = held.stdout.trim().split('\n');
  const heldBy = holder.join(' ').trim();
  // Two inventory names for one host share its lock: this run holds it already.
  if (state === 'held' && heldBy === owner) return async () => undefined;
  throw new HostLocked(`another run holds the lock ${file} on this host: ${heldBy || 'holder unknown'}; wait for it to finish`);
}
