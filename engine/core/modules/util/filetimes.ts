// modification_time and access_time of the file module, as Ansible's: 'preserve', 'now', or a
// wall-clock time in a strptime format, read in the host's local time (the host's `date` turns it
// into seconds, so the controller's zone does not matter).
import { quote, quotePath } from '../../connection/quote';
import { pythonStrptime, type WallClock } from '../../pytime';
import { Query } from '../types';

export interface TimeArgs {
  modification_time?: string;
  modification_time_format?: string;
  access_time?: string;
  access_time_format?: string;
}

export const timeProperties = {
  modification_time: { type: 'string', description: "'preserve', 'now', or a time in modification_time_format (default: now for state=touch, else preserve)." },
  modification_time_format: { type: 'string', description: "strptime format of modification_time (default '%Y%m%d%H%M.%S')." },
  access_time: { type: 'string', description: "'preserve', 'now', or a time in access_time_format (default: now for state=touch, else preserve)." },
  access_time_format: { type: 'string', description: "strptime format of access_time (default '%Y%m%d%H%M.%S')." },
} as const;

type Wanted = 'preserve' | 'now' | WallClock;

/** What the host said of the path's times and of the wanted ones, in seconds since the epoch. */
export interface FoundTimes {
  mtime?: number;
  atime?: number;
  wantedMtime?: number;
  wantedAtime?: number;
}

const DEFAULT_FORMAT = '%Y%m%d%H%M.%S';

function wanted(value: string | undefined, format: string | undefined, state: string | undefined): Wanted {
  const text = value ?? (state === 'touch' ? 'now' : 'preserve');
  if (text === 'preserve' || text === 'now') return text;
  const fmt = format ?? DEFAULT_FORMAT;
  try {
    return pythonStrptime(text, fmt);
  } catch (err) {
    throw new Error(`Error while obtaining timestamp for time ${text} using format ${fmt}: ${(err as Error).message}`);
  }
}

/** Both wanted times; a time that does not read in its format throws Ansible's message. */
export function wantedTimes(args: TimeArgs, state: string | undefined): { mtime: Wanted; atime: Wanted } {
  return {
    mtime: wanted(args.modification_time, args.modification_time_format, state),
    atime: wanted(args.access_time, args.access_time_format, state),
  };
}

function localTime(clock: WallClock): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${clock.year}-${p(clock.month)}-${p(clock.day)} ${p(clock.hour)}:${p(clock.minute)}:${p(clock.second)}`;
}

const MARK = '--- times ---';

/**
 * The path's own look (a stat query) with, when a time is given, the path's times and the given
 * ones in seconds, from the host: one round trip.
 */
export function withTimes<T extends object>(look: Query<T>, path: string, times: { mtime: Wanted; atime: Wanted }): Query<T & { times?: FoundTimes }> {
  const clocks = [times.mtime, times.atime].filter((t): t is WallClock => typeof t === 'object');
  if (!clocks.length) return look.map((found) => ({ ...found }));
  const script = [
    ...clocks.map((c) => `date -d ${quote(localTime(c))} +%s`),
    `stat -L -c '%.9Y %.9X' ${quotePath(path)} 2>/dev/null || echo - -`,
    `echo '${MARK}'`,
    look.script,
  ].join('\n');
  return new Query(
    script,
    (res) => {
      const at = res.stdout.indexOf(`${MARK}\n`);
      const lines = res.stdout.slice(0, at).trim().split('\n');
      const [mtime, atime] = lines.pop()?.split(' ').map(Number) ?? [];
      const given = lines.map(Number);
      if (given.length !== clocks.length || given.some(Number.isNaN)) throw new Error(`the host's date did not read the given time: ${res.stderr.trim()}`);
      const found = look.parse({ ...res, stdout: res.stdout.slice(at + MARK.length + 1) }) as T;
      return {
        ...found,
        times: {
          mtime: Number.isNaN(mtime) ? undefined : mtime,
          atime: Number.isNaN(atime) ? undefined : atime,
          wantedMtime: typeof times.mtime === 'object' ? given.shift() : undefined,
          wantedAtime: typeof times.atime === 'object' ? given.shift() : undefined,
        },
      };
    },
    look.options,
  );
}

/**
 * The commands that set the times, and whether they change anything: 'now' always does; a given
 * time when the path's differs (or the path is new).
 */
export function timeChanges(
  times: { mtime: Wanted; atime: Wanted },
  found: FoundTimes | undefined,
  path: string,
): { changed: boolean; commands: string[]; after: string[]; fields: { before: Record<string, number>; after: Record<string, number> } } {
  const p = quotePath(path);
  const commands: string[] = [];
  const after: string[] = [];
  // As Ansible's diff has them: the time before and the one set ('now' is the moment planned).
  const fields: { before: Record<string, number>; after: Record<string, number> } = { before: {}, after: {} };
  const note = (which: 'm' | 'a', current: number | undefined, value: number) => {
    if (current !== undefined) fields.before[`${which}time`] = current;
    fields.after[`${which}time`] = value;
  };
  let changed = false;
  const one = (which: 'm' | 'a', want: Wanted, current: number | undefined, given: number | undefined) => {
    if (want === 'preserve') return;
    if (want === 'now') {
      commands.push(`touch -${which} ${p}`);
      after.push(`${which}time=now`);
      note(which, current, Date.now() / 1000);
      changed = true;
      return;
    }
    if (current !== undefined && given === current) return;
    commands.push(`touch -${which} -d @${given} ${p}`);
    after.push(`${which}time=${given}`);
    note(which, current, given as number);
    changed = true;
  };
  if (times.mtime === 'now' && times.atime === 'now') {
    note('m', found?.mtime, Date.now() / 1000);
    note('a', found?.atime, Date.now() / 1000);
    return { changed: true, commands: [`touch ${p}`], after: ['mtime=now', 'atime=now'], fields };
  }
  one('m', times.mtime, found?.mtime, found?.wantedMtime);
  one('a', times.atime, found?.atime, found?.wantedAtime);
  return { changed, commands, after, fields };
}
