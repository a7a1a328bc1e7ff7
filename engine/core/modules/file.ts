// file: a path made a directory, an empty file, a symlink, a hard link or absent, with its
// attributes, as Ansible's file module decides: the state the path has now (absent, file,
// directory, link, hard) against the one asked for (by default the one it has). The result is
// registered as Ansible's: its diff as mappings (path, state, src, mode, owner, group, times) on
// every run, and the path's attributes as it ends (state, mode, owner, group, uid, gid, size).
import { posix } from 'node:path';
import { quote, quotePath } from '../connection/quote';
import { type Module, ModuleError, type Outcome, type PlanContext, Query, type RunStep } from './types';
import { ansibleMode, attrChanges, attrProperties, normalizeMode } from './util/attrs';
import { type FoundTimes, type TimeArgs, timeChanges, timeProperties, wantedTimes, withTimes } from './util/filetimes';
import { mappingDiff } from './util/diff';
import { type RemoteStat, statQuery, taggedValue } from './util/remote';

type State = 'absent' | 'file' | 'directory' | 'link' | 'hard' | 'touch';
type PrevState = 'absent' | 'file' | 'directory' | 'link' | 'hard';

/** What the probe read besides the path's own stat, where the state asked for needs it. */
interface FileFacts {
  /** A link's target, followed (its attributes are what follow: true changes). */
  target?: RemoteStat;
  /** The path a link resolves to (readlink -f). */
  real?: string;
  /** state=link: whether src exists, read from the path's directory. */
  srcExists?: boolean;
  /** A directory: whether it has entries. */
  hasEntries?: boolean;
  /** state=absent of a directory: what is in it, as Ansible's diff lists it. */
  walk?: { directories: string[]; files: string[] };
  /** state=hard: device:inode of src and of the path (undefined when absent). */
  inodes?: { src?: string; path?: string };
  /** lsattr's flags of the path, its dashes dropped ('' where lsattr has none to give). */
  flags?: string;
}

type FileFound = RemoteStat & { times?: FoundTimes } & FileFacts & {
    /** The path the module works on: path itself, or src's name inside it when path is a directory (state=hard). */
    path: string;
    /** _diff_peek: a NUL byte in the first 8 KiB. */
    appearsBinary?: boolean;
  };

interface FileArgs extends TimeArgs {
  path: string;
  /** Ansible's internal argument its action plugins send: only whether the file looks binary. */
  _diff_peek?: boolean;
  state?: State;
  src?: string;
  recurse?: boolean;
  force?: boolean;
  follow?: boolean;
  mode?: string | number;
  owner?: string;
  group?: string;
  /** chattr flags: `A`, `+i`, `-a`. */
  attributes?: string;
}

/** Ansible's get_state: a file with more than one name is `hard`; anything else that is not a link or a directory, `file`. */
function prevStateOf(stat: RemoteStat): PrevState {
  if (!stat.exists) return 'absent';
  if (stat.type === 'link' || stat.type === 'directory') return stat.type;
  return (stat.nlink ?? 1) > 1 ? 'hard' : 'file';
}

/** Python's os.path.join of two parts (no normalising: `a/../b` stays). */
const joinPath = (dir: string, name: string) => (name.startsWith('/') ? name : dir.endsWith('/') ? dir + name : `${dir}/${name}`);

/** src of a link as Ansible reads it: from the path itself when it is a real directory, else from its directory. */
const linkSource = (path: string, src: string, prev: PrevState) => joinPath(prev === 'directory' ? path : posix.dirname(path), src);

/** Each directory of a path from the top down: /a, /a/b, /a/b/c (a relative one from its first part). */
function pathPrefixes(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  return parts.map((_, i) => `${path.startsWith('/') ? '/' : ''}${parts.slice(0, i + 1).join('/')}`);
}

/**
 * ln's commands that make path a link (symbolic or hard) of src: at once where nothing is there,
 * else made beside it and renamed over it, so that it is replaced atomically, as Ansible's.
 */
function linkCommands(kind: 'symbolic' | 'hard', src: string, path: string, prev: PrevState): string[] {
  const p = quotePath(path);
  const s = quotePath(src);
  if (prev === 'absent') return [`ln ${kind === 'symbolic' ? '-s ' : ''}-- ${s} ${p}`];
  const temp = quotePath(joinPath(posix.dirname(path), `.${posix.basename(path)}.engine-link`));
  return [`ln ${kind === 'symbolic' ? '-sfn' : '-f'} -- ${s} ${temp}`, `mv -fT -- ${temp} ${p}`];
}

const MARK = '--- target ---';
const WALK_LIMIT = 10000;

/** The second look, when the state asked for needs more than the path's stat. */
function factsQuery(args: FileArgs, found: FileFound, state: State): Query<FileFound> | undefined {
  const p = quotePath(args.path);
  const prev = prevStateOf(found);
  const lines: string[] = [];
  if (state === 'link' && args.src !== undefined) lines.push(`[ -e ${quotePath(linkSource(args.path, args.src, prev))} ] && echo 'src yes' || echo 'src no'`);
  if (state === 'link' && prev === 'directory') lines.push(`[ -n "$(ls -A ${p})" ] && echo 'entries yes' || echo 'entries no'`);
  // What the diff lists of a directory removed (Ansible's path_content), up to WALK_LIMIT entries:
  // removing a tree of millions must not bring them all over the connection.
  if (state === 'absent' && prev === 'directory')
    lines.push(`printf 'walk '; find ${p} -mindepth 1 -printf '%y %p\\n' | head -n ${WALK_LIMIT} | base64 -w0; echo`);
  if (state === 'hard' && args.src !== undefined) {
    const inode = (path: string) => `$(stat -c '%d:%i' -- ${quotePath(path)} 2>/dev/null || echo none)`;
    lines.push(`echo "inodes ${inode(joinPath(posix.dirname(args.path), args.src))} ${inode(args.path)}"`);
  }
  if (args.attributes !== undefined && prev !== 'absent') lines.push(`set -- $(lsattr -d -- ${p} 2>/dev/null); echo "flags $1"`);
  const target = prev === 'link' && args.follow !== false ? statQuery(args.path, { follow: true }) : undefined;
  if (target) lines.push(`printf 'real '; readlink -f ${p}`, `echo '${MARK}'`, target.script);
  if (!lines.length) return undefined;
  return new Query(lines.join('\n'), (res) => {
    const at = res.stdout.indexOf(`${MARK}\n`);
    const head = at < 0 ? res.stdout : res.stdout.slice(0, at);
    const tag = (name: string) => taggedValue(head, name);
    const walk = tag('walk');
    const [srcInode, pathInode] = (tag('inodes') ?? '').split(' ').map((v) => (v === 'none' || v === '' ? undefined : v));
    return {
      ...found,
      ...(tag('src') !== undefined ? { srcExists: tag('src') === 'yes' } : {}),
      ...(tag('entries') !== undefined ? { hasEntries: tag('entries') === 'yes' } : {}),
      ...(walk !== undefined ? { walk: walkList(Buffer.from(walk, 'base64').toString('utf8')) } : {}),
      ...(tag('inodes') !== undefined ? { inodes: { src: srcInode, path: pathInode } } : {}),
      ...(tag('flags') !== undefined ? { flags: (tag('flags') ?? '').replace(/-/g, '') } : {}),
      ...(target ? { real: tag('real'), target: target.parse({ ...res, stdout: res.stdout.slice(at + MARK.length + 1) }) as RemoteStat } : {}),
    };
  });
}

/** find's `%y %p` lines as os.walk would list them: directories, and everything else as files. */
function walkList(text: string): { directories: string[]; files: string[] } {
  const out = { directories: [] as string[], files: [] as string[] };
  for (const line of text.split('\n').filter(Boolean)) (line.startsWith('d ') ? out.directories : out.files).push(line.slice(2));
  return out;
}

/** Ansible's initial_diff: the path, and its state before and after when they differ. */
function initialDiff(path: string, state: State, prev: PrevState, found: FileFound): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const diff = { before: { path } as Record<string, unknown>, after: { path } as Record<string, unknown> };
  if (prev !== state) {
    diff.before.state = prev;
    diff.after.state = state;
    if (state === 'absent' && prev === 'directory') diff.before.path_content = found.walk ?? { directories: [], files: [] };
  }
  return diff;
}

/** add_path_info: what Ansible's result says of the path as it is (nothing when it does not exist, a dangling link included). */
function pathInfo(stat: RemoteStat, followed?: RemoteStat): Record<string, unknown> {
  if (!stat.exists || (stat.type === 'link' && followed && !followed.exists)) return {};
  return {
    state: prevStateOf(stat),
    mode: stat.mode === undefined ? undefined : ansibleMode(stat.mode),
    owner: stat.owner,
    group: stat.group,
    uid: stat.uid,
    gid: stat.gid,
    size: stat.size,
  };
}

/** The commands, then the path's attributes read again for the result (a real run's end state). */
function applyStep(commands: string[], path: string): RunStep {
  const p = quotePath(path);
  const script = [
    ...commands,
    `if [ -L ${p} ] && [ ! -e ${p} ]; then echo gone; elif [ -L ${p} ] || [ -e ${p} ]; then stat -c 'info %a %U %G %u %g %s %h' -- ${p}; if [ -L ${p} ]; then echo 'kind link'; elif [ -d ${p} ]; then echo 'kind directory'; fi; else echo gone; fi`,
  ].join(' &&\n');
  return {
    kind: 'run',
    script,
    result(res) {
      if (res.rc !== 0) throw ModuleError.ofCommand(commands.join(' && ') || path, res);
      const info = taggedValue(res.stdout, 'info');
      if (info === undefined) return {};
      const [mode, owner, group, uid, gid, size, nlink] = info.split(' ');
      const type = (taggedValue(res.stdout, 'kind') ?? 'file') as RemoteStat['type'];
      return pathInfo({ exists: true, type, mode, owner, group, uid: Number(uid), gid: Number(gid), size: Number(size), nlink: Number(nlink) });
    },
  };
}

export const file: Module<FileArgs, FileFound> = {
  name: 'file',
  argAliases: { dest: 'path', name: 'path', attr: 'attributes' },
  freeForm: 'kv',
  schema: {
    type: 'object',
    description: 'Makes a path be a directory, a file, a symlink, a hard link, or absent, with the given attributes.',
    properties: {
      path: { type: 'string', description: 'Remote path (aliases dest, name).' },
      state: {
        enum: ['file', 'directory', 'link', 'hard', 'absent', 'touch'],
        description: "What the path must be (default: what it is; 'file' when it does not exist, which only changes attributes of an existing file).",
      },
      src: { type: 'string', description: "Target of the symlink (state=link) or the file to link to (state=hard); relative: to the path's directory." },
      recurse: { type: 'boolean', description: 'Apply attributes recursively (state=directory).' },
      force: {
        type: 'boolean',
        description: 'state=link: make the link though src does not exist, or in place of a file or an empty directory; state=hard: in place of a file.',
      },
      follow: {
        type: 'boolean',
        description: "Default true: a link's target gets the attributes; false: the link itself (chown -h; Linux keeps no mode for a link).",
      },
      attributes: { type: 'string', description: "chattr flags (alias attr): 'A' sets exactly those, '+A' adds, '-A' removes (lsattr is compared first)." },
      _diff_peek: { type: 'boolean', description: "Ansible's internal check: register only whether the file looks binary (a NUL in its first 8 KiB)." },
      ...attrProperties,
      ...timeProperties,
    },
    required: ['path'],
    additionalProperties: false,
  },
  probe(args) {
    if (args._diff_peek !== undefined) {
      const p = quotePath(args.path);
      return new Query(`head -c 8192 ${p} 2>/dev/null | tr -d -c '\\000' | wc -c`, (res) => ({
        exists: true,
        path: args.path,
        appearsBinary: Number(res.stdout.trim()) > 0,
      }));
    }
    return lookAt(args, args.path);
  },
  plan: planFile,
};

/**
 * The path's stat (and times, and what its state needs). As Ansible's additional_parameter_handling,
 * a directory given as the path of a hard link stands for src's name inside it.
 */
function lookAt(args: FileArgs, path: string): Query<FileFound> {
  const stat = statQuery(path);
  let look: Query<RemoteStat & { times?: FoundTimes }>;
  try {
    look = withTimes(stat, path, wantedTimes(args, args.state));
  } catch {
    // A time that does not read in its format: the plan fails the task with Ansible's words.
    look = stat;
  }
  return new Query(
    look.script,
    (res) => {
      const found = { ...(look.parse(res) as RemoteStat & { times?: FoundTimes }), path };
      if (path === args.path && args.state === 'hard' && args.src !== undefined && found.type === 'directory')
        return lookAt(args, joinPath(path, posix.basename(args.src)));
      const asked = { ...args, path };
      return factsQuery(asked, found, stateOf(asked, found)) ?? found;
    },
    look.options,
  );
}

/** The state asked for; by default the one the path has (Ansible's additional_parameter_handling). */
function stateOf(args: FileArgs, found: RemoteStat): State {
  if (args.state) return args.state;
  const prev = prevStateOf(found);
  return prev !== 'absent' ? prev : args.recurse ? 'directory' : 'file';
}

function planFile(given: FileArgs, found: FileFound, context: PlanContext): Outcome {
  if (given._diff_peek !== undefined) return { changed: false, msg: 'peeked', result: { path: given.path, appears_binary: found.appearsBinary === true } };
  const args = { ...given, path: found.path ?? given.path };
  const state = stateOf(args, found);
  if (args.recurse && state !== 'directory') return failure("recurse option requires state to be 'directory'", { path: args.path });
  if (args.src !== undefined && state !== 'link' && state !== 'hard') return failure("src option requires state to be 'link' or 'hard'", { path: args.path });
  let times: ReturnType<typeof timeChanges>;
  try {
    times = timeChanges(wantedTimes(args, state), found.times, args.path);
  } catch (err) {
    return failure((err as Error).message);
  }
  const ctx: PlanInput = { args, found, state, prev: prevStateOf(found), times, predict: context.predict };
  switch (state) {
    case 'absent':
      return planAbsent(ctx);
    case 'directory':
      return planDirectory(ctx);
    case 'touch':
      return planTouch(ctx);
    case 'link':
      return planLink(ctx);
    case 'hard':
      return planHardLink(ctx);
    default:
      return planAttributes(ctx);
  }
}

interface PlanInput {
  args: FileArgs;
  found: FileFound;
  state: State;
  prev: PrevState;
  times: ReturnType<typeof timeChanges>;
  /** A dry run after a change it did not make: what an earlier task would make may be missing yet. */
  predict: boolean;
}

const failure = (msg: string, result: Record<string, unknown> = {}): Outcome => ({ changed: false, failed: true, msg, result });

/** The mode, owner and group asked for, against the stat they apply to; the path made is 0666 or 0777 less the host's umask. */
function attributes(input: PlanInput, subject: RemoteStat | undefined, opts: { directory?: boolean; linkItself?: boolean } = {}) {
  const made = { type: opts.directory ? ('directory' as const) : ('file' as const), umask: input.found.umask };
  const changes = attrChanges(subject, input.args, input.args.path, input.args.recurse, opts.linkItself, subject ?? made);
  const flags = flagChanges(input.args, subject ? (input.found.flags ?? '') : '');
  if (!flags) return changes;
  changes.commands.push(flags.command);
  changes.after.push(`attributes: ${flags.after}`);
  changes.fields.before.attributes = flags.before;
  changes.fields.after.attributes = flags.after;
  return { ...changes, changed: true };
}

/**
 * chattr flags as Ansible's set_attributes_if_different decides: `+X`/`-X` or `=X` (the default),
 * a change when the flags lsattr shows differ from those given, and always for `-`.
 */
function flagChanges(args: FileArgs, existing: string): { command: string; before: string; after: string } | undefined {
  if (args.attributes === undefined) return undefined;
  const op = args.attributes.startsWith('+') || args.attributes.startsWith('-') ? args.attributes[0] : '=';
  const flags = op === '=' ? args.attributes : args.attributes.slice(1);
  if (existing === flags && op !== '-') return undefined;
  return { command: `chattr ${quote(`${op}${flags}`)} -- ${quotePath(args.path)}`, before: existing, after: `${op}${flags}` };
}

/**
 * The outcome of a state: Ansible's diff (its initial part, the attributes and the times that
 * change) and result keys, the commands as one step that reads the path's end state.
 */
function outcome(
  input: PlanInput,
  o: {
    changed: boolean;
    msg: string;
    commands: string[];
    diff: { before: Record<string, unknown>; after: Record<string, unknown> };
    result: Record<string, unknown>;
    info?: RemoteStat;
  },
): Outcome {
  const diff = mappingDiff(o.diff);
  const result = { ...pathInfo(o.info ?? input.found, input.found.target), ...o.result };
  if (!o.changed) return { changed: false, msg: o.msg, diff: [diff], result };
  const reported = String(o.result.path ?? o.result.dest ?? input.args.path);
  return { changed: true, msg: o.msg, diff: [diff], result, steps: [applyStep(o.commands, reported)] };
}

/** Attribute and time changes merged into a diff. */
function withChanges(
  diff: { before: Record<string, unknown>; after: Record<string, unknown> },
  ...changes: { fields: { before: Record<string, unknown>; after: Record<string, unknown> } }[]
) {
  for (const change of changes) {
    Object.assign(diff.before, change.fields.before);
    Object.assign(diff.after, change.fields.after);
  }
  return diff;
}

function planAbsent(input: PlanInput): Outcome {
  const { args, found, prev } = input;
  if (prev === 'absent') return { changed: false, msg: 'already absent', result: { path: args.path, state: 'absent' } };
  // What it says of the path is that it is gone (no attributes of what is there now).
  return outcome(input, {
    changed: true,
    msg: `${found.type} would be removed`,
    commands: [`rm -rf ${quotePath(args.path)}`],
    diff: initialDiff(args.path, 'absent', prev, found),
    result: { path: args.path, state: 'absent' },
    info: { exists: false },
  });
}

/** file and directory follow a link to what it points at (Ansible's realpath): that is the subject then. */
function followed(input: PlanInput): { subject: RemoteStat; prev: PrevState; path: string } {
  const { args, found, prev } = input;
  if (prev === 'link' && args.follow !== false && found.target)
    return { subject: found.target, prev: prevStateOf(found.target), path: found.real ?? args.path };
  return { subject: found, prev, path: args.path };
}

function planAttributes(input: PlanInput): Outcome {
  const { found, times } = input;
  const { subject, prev, path } = followed(input);
  if (prev !== 'file' && prev !== 'hard') return failure(`file (${path}) is ${prev}, cannot continue`, { path, state: prev });
  const attrs = attributes(input, subject);
  const changed = attrs.changed || times.changed;
  return outcome(input, {
    changed,
    msg: changed ? `attributes differ (${[...attrs.after, ...times.after].join(', ')})` : 'attributes already as wanted',
    commands: [...attrs.commands, ...times.commands],
    diff: withChanges(initialDiff(path, 'file', prev, found), attrs, times),
    result: { path },
    info: subject,
  });
}

function planDirectory(input: PlanInput): Outcome {
  const { args, found, times } = input;
  const { subject, prev, path } = followed(input);
  if (prev !== 'absent' && prev !== 'directory') return failure(`${path} already exists as a ${prev}`, { path });
  const diff = initialDiff(path, 'directory', prev, found);
  if (prev === 'absent') {
    // As Ansible's: each directory made, parents too, gets the mode, owner, group and flags asked.
    // mkdir -m gives the mode at once (no moment with the umask's).
    const attrs = attributes(input, undefined, { directory: true });
    const mode = normalizeMode(args.mode, { type: 'directory', umask: found.umask });
    const create = pathPrefixes(path).map((dir) => {
      const own = attributes({ ...input, args: { ...args, path: dir } }, undefined, { directory: true }).commands.filter(
        (c) => !mode || !c.startsWith('chmod '),
      );
      const d = quotePath(dir);
      return `{ [ -d ${d} ] || { ${[`mkdir ${mode ? `-m ${mode} ` : ''}-- ${d}`, ...own].join(' && ')}; }; }`;
    });
    return outcome(input, {
      changed: true,
      msg: 'directory would be created',
      commands: [...create, ...times.commands],
      diff: withChanges(diff, attrs, times),
      result: { path },
    });
  }
  const attrs = attributes(input, subject, { directory: true });
  const changed = attrs.changed || times.changed;
  return outcome(input, {
    changed,
    msg: changed ? `attributes differ (${[...attrs.after, ...times.after].join(', ')})` : 'directory already as wanted',
    commands: [...attrs.commands, ...times.commands],
    diff: withChanges(diff, attrs, times),
    result: { path },
    info: subject,
  });
}

function planTouch(input: PlanInput): Outcome {
  const { args, found, prev, times } = input;
  const subject = prev === 'link' && args.follow !== false ? found.target : found.exists ? found : undefined;
  const attrs = attributes(input, subject?.exists ? subject : undefined, { directory: subject?.type === 'directory' });
  const create = found.exists ? [] : [`touch ${quotePath(args.path)}`];
  const changed = !found.exists || attrs.changed || times.changed;
  return outcome(input, {
    changed,
    msg: !found.exists ? 'file would be created' : changed ? 'times would be updated' : 'file already as wanted',
    commands: [...create, ...attrs.commands, ...times.commands.filter((c) => !create.includes(c))],
    diff: withChanges(initialDiff(args.path, 'touch', prev, found), attrs, times),
    result: { dest: args.path },
  });
}

/** state=link as Ansible's ensure_symlink: what it refuses, what it replaces, and whose attributes follow sets. */
function planLink(input: PlanInput): Outcome {
  // In a dry run after changes it did not make, a missing src may be one an earlier task makes
  // (the directory a release link points at): the link is planned as if it were there, predicted.
  if (input.found.srcExists === false && input.predict && !input.args.force) {
    const planned = planLink({ ...input, found: { ...input.found, srcExists: true }, predict: false });
    return { ...planned, predicted: true, msg: `predicted: ${planned.msg} (src is not there yet; an earlier change of this dry run would make it)` };
  }
  const { args, found, prev, times } = input;
  const follow = args.follow !== false;
  // No src: the link there is kept, its attributes set (the target it has is its src).
  const src = args.src ?? (follow && found.target?.exists ? found.linkTarget : undefined);
  const result = { dest: args.path, src: src ?? null };
  if (!args.force && args.src !== undefined && found.srcExists === false)
    return failure(`src file does not exist, use "force=yes" if you really want to create the link: ${linkSource(args.path, args.src, prev)}`, {
      path: args.path,
      src: args.src,
    });
  if (prev === 'directory' && !args.force) return failure(`refusing to convert from directory to symlink for ${args.path}`, { path: args.path });
  if (prev === 'directory' && found.hasEntries) return failure(`the directory ${args.path} is not empty, refusing to convert it`, { path: args.path });
  if ((prev === 'file' || prev === 'hard') && !args.force) return failure(`refusing to convert from ${prev} to symlink for ${args.path}`, { path: args.path });
  if (prev !== 'link' && src === undefined) return failure('src is required for creating new symlinks');
  const diff = initialDiff(args.path, 'link', prev, found);
  const relink = prev !== 'link' || (src !== undefined && found.linkTarget !== src);
  if (prev === 'link' && relink) {
    diff.before.src = found.linkTarget;
    diff.after.src = src;
  }
  const make = !relink ? [] : [...(prev === 'directory' ? [`rmdir -- ${quotePath(args.path)}`] : []), ...linkCommands('symbolic', src!, args.path, prev)];
  // The target's attributes with follow (none when it does not exist: Ansible warns and skips
  // them); the link's own owner and group without (Linux keeps no mode for a link).
  const targetExists = relink ? linkExists(args, found) : found.target?.exists === true;
  const subject = follow ? (relink ? undefined : found.target) : prev === 'link' ? found : undefined;
  const attrs = follow && !targetExists ? undefined : attributes(input, subject, { linkItself: !follow });
  const set = attrs ? [...attrs.commands, ...times.commands] : [];
  const changed = relink || set.length > 0;
  return outcome(input, {
    changed,
    msg: !changed
      ? 'link already points at src'
      : !relink
        ? `attributes differ (${[...(attrs?.after ?? []), ...times.after].join(', ')})`
        : prev === 'absent'
          ? 'link would be created'
          : `link target differs (${found.linkTarget ?? found.type})`,
    commands: [...make, ...set],
    diff: attrs ? withChanges(diff, attrs, times) : diff,
    result,
  });
}

/** Whether a link about to be made will point at something: src, read from the path's directory, exists. */
function linkExists(args: FileArgs, found: FileFound): boolean {
  return args.src === undefined ? found.target?.exists === true : found.srcExists === true;
}

/** state=hard as Ansible's ensure_hardlink: the same inode is nothing to do; another file needs force. */
function planHardLink(input: PlanInput): Outcome {
  const { args, found, prev, times } = input;
  if (prev !== 'hard' && args.src === undefined) return failure('src is required for creating new hardlinks');
  const src = args.src === undefined ? undefined : joinPath(posix.dirname(args.path), args.src);
  const result = { dest: args.path, src: args.src ?? null };
  if (src !== undefined && !found.inodes?.src) return failure('src does not exist', result);
  const diff = initialDiff(args.path, 'hard', prev, found);
  const same = found.exists && found.inodes?.path !== undefined && found.inodes.path === found.inodes.src;
  if (prev === 'directory') return failure(`Cannot link: ${args.path} is a directory`, result);
  if ((prev === 'file' || (prev === 'hard' && !same)) && !args.force)
    return failure(prev === 'file' ? 'Cannot link, file exists at destination' : 'Cannot link, different hard link exists at destination', result);
  if (prev === 'link') {
    diff.before.src = found.linkTarget;
    diff.after.src = args.src;
  }
  const relink = src !== undefined && !same;
  const make = relink ? linkCommands('hard', src!, args.path, prev) : [];
  const attrs = attributes(input, relink ? undefined : found);
  const changed = relink || attrs.changed || times.changed;
  return outcome(input, {
    changed,
    msg: !changed
      ? `${args.path} is already a hard link of ${src}`
      : relink
        ? `hard link of ${src} would be made`
        : `attributes differ (${attrs.after.join(', ')})`,
    commands: [...make, ...attrs.commands, ...times.commands],
    diff: withChanges(diff, attrs, times),
    result,
  });
}
