// mount (ansible.posix's, Linux): a filesystem's line in fstab and whether it is mounted now.
// present/absent_from_fstab touch fstab only; unmounted/ephemeral/remounted the mount only;
// mounted both (a changed line remounts what is mounted); absent both, and the mount point goes.
// A mount that fails puts the old fstab back and removes the directories it made, as Ansible's.
import { quote } from '../connection/quote';
import { type Module, type Outcome, Query, type RunStep, type Step } from './types';
import { type RemoteText, textQuery } from './util/remote';
import { writeStep } from './util/steps';

type MountState = 'mounted' | 'present' | 'unmounted' | 'absent' | 'absent_from_fstab' | 'absent_mount' | 'remounted' | 'ephemeral';

interface MountArgs {
  path: string;
  state: MountState;
  src?: string;
  fstype?: string;
  opts?: string;
  dump?: string | number;
  passno?: string | number;
  fstab?: string;
  boot?: boolean;
  backup?: boolean;
}

interface MountFound {
  /** SOURCE and FSTYPE as findmnt lists what is mounted at path; undefined when nothing is. */
  mounted?: { source: string; fstype: string };
  /** The path's missing directories, shallowest first (made for state mounted/ephemeral). */
  missing: string[];
  /** An empty directory: state absent removes it. */
  emptyDir: boolean;
  exists: boolean;
  fstab?: RemoteText;
}

/** An fstab entry's six fields (the last two default to 0, as in fstab(5)). */
interface Entry {
  src: string;
  name: string;
  fstype: string;
  opts: string;
  dump: string;
  passno: string;
}

/** fstab(5) escapes for a field: backslash, space, ampersand as octal. */
const escapeField = (value: string) => value.replace(/\\/g, '\\134').replace(/ /g, '\\040').replace(/&/g, '\\046');

function wanted(args: MountArgs): Entry {
  const opts = (args.opts ?? 'defaults').split(',');
  if (args.boot === false && !opts.includes('noauto')) opts.push('noauto');
  return {
    src: escapeField(args.src ?? ''),
    name: escapeField(args.path),
    fstype: escapeField(args.fstype ?? ''),
    opts: escapeField(opts.join(',')),
    dump: String(args.dump ?? '0'),
    passno: String(args.passno ?? '0'),
  };
}

const lineOf = (e: Entry) => `${e.src} ${e.name} ${e.fstype} ${e.opts} ${e.dump} ${e.passno}\n`;

/** The entry a line holds, when it is one (4 to 6 fields, comments after # dropped). */
function entryOf(line: string): Entry | undefined {
  if (!line.trim() || line.trim().startsWith('#')) return undefined;
  const fields = line.split('#')[0].split(/\s+/).filter(Boolean);
  if (fields.length < 4 || fields.length > 6) return undefined;
  const [src, name, fstype, opts, dump = '0', passno = '0'] = fields;
  return { src, name, fstype, opts, dump, passno };
}

/** The line is the path's entry; for swap (name none) only when its src is the one asked. */
const isEntryFor = (e: Entry, want: Entry, src?: string) =>
  e.name === want.name && !(src !== undefined && e.name === 'none' && e.fstype === 'swap' && e.src !== want.src);

const linesOf = (text: string) => (text ? text.split(/(?<=\n)/).map((l) => (l.endsWith('\n') ? l : `${l}\n`)) : []);

/** fstab with the path's entry as wanted (each matching line rewritten where it differs, else added). Pure. */
export function setEntry(text: string, args: MountArgs): string {
  const want = wanted(args);
  let found = false;
  const lines = linesOf(text).map((line) => {
    const entry = entryOf(line);
    if (!entry || !isEntryFor(entry, want, args.src)) return line;
    found = true;
    const same = (['src', 'fstype', 'opts', 'dump', 'passno'] as const).every((k) => entry[k] === want[k]);
    return same ? line : lineOf({ ...want, name: entry.name });
  });
  return lines.join('') + (found ? '' : lineOf(want));
}

/** fstab without the path's entries. Pure. */
export function unsetEntry(text: string, args: MountArgs): string {
  const want = wanted(args);
  return linesOf(text)
    .filter((line) => {
      const entry = entryOf(line);
      return !entry || !isEntryFor(entry, want, args.src);
    })
    .join('');
}

function stateScript(path: string): string {
  const p = quote(path);
  return [
    `if out=$(findmnt -rn -o SOURCE,FSTYPE --mountpoint ${p} 2>/dev/null); then printf 'mounted %s\\n' "$out"; fi`,
    `d=${p}; while [ ! -e "$d" ] && [ "$d" != / ] && [ "$d" != . ]; do printf 'missing %s\\n' "$d"; d=$(dirname -- "$d"); done`,
    `[ -e ${p} ] && echo exists`,
    `[ -d ${p} ] && [ -z "$(ls -A ${p} 2>/dev/null)" ] && echo empty`,
    'true',
  ].join('\n');
}

function parseState(stdout: string): MountFound {
  const found: MountFound = { missing: [], emptyDir: false, exists: false };
  for (const line of stdout.split('\n')) {
    const [tag, ...rest] = line.split(' ');
    if (tag === 'mounted') found.mounted = { source: rest[0]?.replace(/\\x20/g, ' ') ?? '', fstype: rest[1] ?? '' };
    else if (tag === 'missing') found.missing.unshift(rest.join(' '));
    else if (tag === 'exists') found.exists = true;
    else if (tag === 'empty') found.emptyDir = true;
  }
  return found;
}

/** `-T file` for an fstab other than /etc/fstab, as Ansible's. */
const fstabFlag = (fstab: string) => (fstab === '/etc/fstab' ? '' : ` -T ${quote(fstab)}`);

/** A command whose failure fails the task with `Error <doing> <path>: <what it printed>`. */
function commandStep(script: string, what: string, stdin?: string): RunStep {
  return {
    kind: 'run',
    script,
    stdin,
    what,
    result: (res) => (res.rc === 0 ? {} : { failed: true, rc: res.rc, msg: `${what}: ${(res.stdout + res.stderr).trim()}` }),
  };
}

function ephemeralFlags(args: MountArgs): string {
  const opts = args.opts && args.opts !== 'defaults' ? ` -o ${quote(args.opts)}` : '';
  return ` -t ${quote(args.fstype ?? '')}${opts} ${quote(args.src ?? '')}`;
}

/** Remount in place; where that fails, unmount and mount again (not when opts were given: refused, as Ansible's). */
function remountScript(args: MountArgs, fstab: string, mountAgain: string): string {
  const given = args.state === 'remounted' && args.opts && args.opts !== 'defaults';
  const remount = `mount -o ${quote(given ? `remount,${args.opts}` : 'remount')}${args.state === 'ephemeral' ? ephemeralFlags(args) : fstabFlag(fstab)} ${quote(args.path)}`;
  if (given)
    return `${remount} || { echo 'Options were specified with remounted, but the remount command failed. Failing in order to prevent an unexpected mount result. Try replacing this command with a "state: unmounted" followed by a "state: mounted" using the full desired mount options instead.'; exit 1; }`;
  return `${remount} 2>/dev/null || { umount ${quote(args.path)} && ${mountAgain}; }`;
}

/** Mount (or remount) for state mounted/ephemeral: the directories made first; on failure fstab and they are put back. */
function mountSteps(args: MountArgs, found: MountFound, fstab: string, oldFstab: string | undefined): Step[] {
  const mountCmd = `mount${args.state === 'ephemeral' ? ephemeralFlags(args) : fstabFlag(fstab)} ${quote(args.path)}`;
  const act = found.mounted ? remountScript(args, fstab, mountCmd) : mountCmd;
  const undo = [...(oldFstab === undefined ? [] : [`cat > ${quote(fstab)}`]), ...[...found.missing].reverse().map((d) => `rmdir ${quote(d)} 2>/dev/null`)];
  const script = [
    ...found.missing.map((d) => `mkdir ${quote(d)} || exit 1`),
    `if ! out=$( { ${act}; } 2>&1); then`,
    ...undo.map((line) => `  ${line}`),
    `  printf '%s\\n' "$out"; exit 1`,
    'fi',
  ].join('\n');
  return [commandStep(script, `Error ${found.mounted ? 'remounting' : 'mounting'} ${args.path}`, oldFstab)];
}

/** findmnt's SOURCE is the device, or for a bind mount `device[/path]`: either may be the src asked. */
const mountedFrom = (source: string, src: string) => source === src || source.endsWith(`[${src}]`);

function missingRequired(args: MountArgs): string | undefined {
  if (!['mounted', 'present', 'ephemeral'].includes(args.state)) return undefined;
  const missing = (['src', 'fstype'] as const).filter((k) => args[k] === undefined);
  return missing.length ? `state is ${args.state} but all of the following are missing: ${missing.join(', ')}` : undefined;
}

function planMount(args: MountArgs, found: MountFound): Outcome {
  const fstab = args.fstab ?? '/etc/fstab';
  const want = wanted(args);
  const result = {
    name: args.path,
    src: args.src,
    fstype: args.fstype,
    opts: want.opts,
    dump: want.dump,
    passno: want.passno,
    fstab,
    boot: args.boot === false ? 'no' : 'yes',
  };
  const refused = missingRequired(args);
  if (refused) return { changed: false, failed: true, msg: refused };
  const before = found.fstab?.text ?? '';
  const touchesFstab = !['unmounted', 'remounted', 'ephemeral'].includes(args.state);
  const after = !touchesFstab ? before : ['present', 'mounted'].includes(args.state) ? setEntry(before, args) : unsetEntry(before, args);
  const fstabChanged = after !== before;
  const steps: Step[] = fstabChanged ? [writeStep(fstab, Buffer.from(after), { backup: args.backup, makeParents: true })] : [];
  const path = quote(args.path);
  if (['absent', 'absent_mount'].includes(args.state) && after !== before) {
    // As Ansible's: unmounted (and the mount point removed) only when the fstab entry went.
    if (found.mounted) steps.push(commandStep(`umount ${path}`, `Error unmounting ${args.path}`));
    if (args.state === 'absent' && found.exists) steps.push(commandStep(`rmdir ${path}`, `Error rmdir ${args.path}`));
  } else if (args.state === 'unmounted' && found.mounted) {
    steps.push(commandStep(`umount ${path}`, `Error unmounting ${args.path}`));
  } else if (args.state === 'remounted') {
    steps.push(commandStep(remountScript(args, fstab, `mount${fstabFlag(fstab)} ${path}`), `Error remounting ${args.path}`));
  } else if (args.state === 'ephemeral') {
    if (found.mounted && !mountedFrom(found.mounted.source, args.src ?? ''))
      return {
        changed: false,
        failed: true,
        msg: 'Ephemeral mount point is already mounted with a different source than the specified one. Failing in order to prevent an unwanted unmount or override operation. Try replacing this command with a "state: unmounted" followed by a "state: ephemeral", or use a different destination path.',
      };
    steps.push(...mountSteps(args, found, fstab, undefined));
  } else if (args.state === 'mounted' && (!found.mounted || fstabChanged)) {
    steps.push(...mountSteps(args, found, fstab, fstabChanged ? before : undefined));
  }
  if (!steps.length) return { changed: false, msg: `${args.path} already ${args.state}`, result };
  const diff = fstabChanged ? [{ before, after, beforeHeader: fstab, afterHeader: fstab }] : undefined;
  return { changed: true, msg: `${args.path} ${args.state}`, diff, steps, result };
}

export const mount: Module<MountArgs, MountFound> = {
  name: 'mount',
  freeForm: 'kv',
  argAliases: { name: 'path' },
  schema: {
    type: 'object',
    description: "A filesystem's fstab entry and whether it is mounted (ansible.posix.mount, Linux).",
    properties: {
      path: { type: 'string', description: 'The mount point.' },
      state: {
        enum: ['mounted', 'present', 'unmounted', 'absent', 'absent_from_fstab', 'absent_mount', 'remounted', 'ephemeral'],
        description:
          'mounted: in fstab and mounted; present: in fstab only; unmounted: not mounted (fstab kept); absent: neither, mount point removed; absent_from_fstab: out of fstab only; absent_mount: neither, mount point kept; remounted: remount now; ephemeral: mounted now, fstab untouched.',
      },
      src: { type: 'string', description: 'The device, or what is mounted (needed for mounted, present, ephemeral).' },
      fstype: { type: 'string', description: 'The filesystem type (needed for mounted, present, ephemeral).' },
      opts: { type: 'string', description: 'Mount options (default defaults).' },
      dump: { type: ['string', 'integer'], description: "fstab's dump field (default 0)." },
      passno: { type: ['string', 'integer'], description: "fstab's pass field (default 0)." },
      fstab: { type: 'string', description: 'The fstab file (default /etc/fstab; another is passed to mount as -T).' },
      boot: { type: 'boolean', description: 'Mounted at boot (default true; false adds noauto).' },
      backup: { type: 'boolean', description: 'Keep a timestamped copy of fstab before changing it.' },
    },
    required: ['path', 'state'],
    additionalProperties: false,
  },
  probe(args) {
    const look = new Query(stateScript(args.path), (res) => parseState(res.stdout));
    if (['unmounted', 'remounted', 'ephemeral'].includes(args.state)) return look;
    return new Query(look.script, (res) => textQuery(args.fstab ?? '/etc/fstab').map((fstab) => ({ ...parseState(res.stdout), fstab })));
  },
  plan: planMount,
};
