// file: directories, empty files, symlinks, absence, and their attributes.
import { posix } from 'node:path';
import { quotePath } from '../connection/quote';
import { type Module, type Outcome, Query } from './types';
import { attrChanges, attrProperties, normalizeMode } from './util/attrs';
import { type FoundTimes, type TimeArgs, timeChanges, timeProperties, wantedTimes, withTimes } from './util/filetimes';
import { type RemoteStat, statQuery } from './util/remote';
import { runStep } from './util/steps';

/** For state=hard: src's and path's device:inode (undefined when absent), and path's link count. */
interface HardLinks {
  src?: string;
  path?: string;
}

type FileFound = RemoteStat & { times?: FoundTimes; hard?: HardLinks };

interface FileArgs extends TimeArgs {
  path: string;
  state?: 'file' | 'directory' | 'link' | 'hard' | 'absent' | 'touch';
  src?: string;
  recurse?: boolean;
  force?: boolean;
  follow?: boolean;
  mode?: string | number;
  owner?: string;
  group?: string;
}

function describe(stat: RemoteStat): string {
  if (!stat.exists) return 'absent\n';
  return `${stat.type}${stat.linkTarget ? ` -> ${stat.linkTarget}` : ''} mode=${stat.mode} owner=${stat.owner} group=${stat.group}\n`;
}

function stateDiff(path: string, before: string, after: string) {
  return [{ before, after, beforeHeader: `${path} (state)`, afterHeader: `${path} (state)` }];
}

export const file: Module<FileArgs, FileFound> = {
  name: 'file',
  argAliases: { dest: 'path', name: 'path' },
  freeForm: 'kv',
  schema: {
    type: 'object',
    description: 'Makes a path be a directory, a file, a symlink, or absent, with the given attributes.',
    properties: {
      path: { type: 'string', description: 'Remote path (aliases dest, name).' },
      state: {
        enum: ['file', 'directory', 'link', 'hard', 'absent', 'touch'],
        description: "What the path must be (default: 'file', which only changes attributes of an existing file).",
      },
      src: { type: 'string', description: "Target of the symlink (state=link) or the file to link to (state=hard); relative: to the path's directory." },
      recurse: { type: 'boolean', description: 'Apply attributes recursively (state=directory).' },
      force: { type: 'boolean', description: 'Replace whatever is at path with the symlink.' },
      follow: {
        type: 'boolean',
        description: "false: owner and group of a symlink itself (chown -h), its mode left as Linux has it; default true: the link's target.",
      },
      ...attrProperties,
      ...timeProperties,
    },
    required: ['path'],
    additionalProperties: false,
  },
  probe(args) {
    if (args.state === 'hard' && args.src) return withInodes(statQuery(args.path), args);
    try {
      return withTimes(statQuery(args.path), args.path, wantedTimes(args, args.state));
    } catch {
      // A time that does not read in its format: the plan fails the task with Ansible's words.
      return statQuery(args.path);
    }
  },
  plan(args, found): Outcome {
    const state = args.state ?? (found.exists ? (found.type === 'directory' ? 'directory' : 'file') : 'file');
    let times: ReturnType<typeof timeChanges>;
    try {
      times = timeChanges(wantedTimes(args, state), found.times, args.path);
    } catch (err) {
      return { changed: false, failed: true, msg: (err as Error).message };
    }
    const p = quotePath(args.path);
    // A symbolic mode applies to the path as it is, or as it is made (0666 or 0777 less the host's umask).
    const made = { type: state === 'directory' ? ('directory' as const) : ('file' as const), umask: found.umask };
    const attrsOf = (stat: RemoteStat | undefined) =>
      attrChanges(stat, args, args.path, args.recurse, args.follow === false && stat?.type === 'link', stat ?? made);
    const before = describe(found);
    const make = (why: string, commands: string[], after: string): Outcome => ({
      changed: true,
      msg: why,
      diff: stateDiff(args.path, before, after),
      steps: [runStep(commands.join(' && '))],
    });
    switch (state) {
      case 'absent':
        if (!found.exists) return { changed: false, msg: 'already absent' };
        return make(`${found.type} would be removed`, [`rm -rf ${p}`], 'absent\n');
      case 'directory': {
        if (found.exists && found.type !== 'directory')
          return { changed: false, failed: true, msg: `${args.path} exists and is a ${found.type}, not a directory` };
        const attrs = attrsOf(found.exists ? found : undefined);
        if (found.exists && !attrs.changed && !times.changed) return { changed: false, msg: 'directory already as wanted' };
        // A new directory gets its mode from mkdir itself: one program less on the host.
        const mode = normalizeMode(args.mode, made);
        const create = mode ? [`mkdir -p -m ${mode} ${p}`, ...attrs.commands.filter((c) => !c.startsWith('chmod '))] : [`mkdir -p ${p}`, ...attrs.commands];
        const commands = [...(found.exists ? attrs.commands : create), ...times.commands];
        return make(
          found.exists ? `attributes differ (${[...attrs.after, ...times.after].join(', ')})` : 'directory would be created',
          commands,
          `directory ${[...attrs.after, ...times.after].join(' ')}\n`,
        );
      }
      case 'touch': {
        const attrs = attrsOf(found.exists ? found : undefined);
        // touch updates the times to now unless both are given (or preserved), as Ansible's.
        if (found.exists && !attrs.changed && !times.changed) return { changed: false, msg: 'file already as wanted' };
        const create = found.exists ? [] : [`touch ${p}`];
        const commands = [...create, ...attrs.commands, ...times.commands.filter((c) => !create.includes(c))];
        return make(found.exists ? 'times would be updated' : 'file would be created', commands, `file ${[...attrs.after, ...times.after].join(' ')}\n`);
      }
      case 'hard':
        return planHardLink(args, found, make);
      case 'link': {
        if (!args.src) return { changed: false, failed: true, msg: 'state=link needs src' };
        if (found.exists && found.type !== 'link' && !args.force)
          return { changed: false, failed: true, msg: `${args.path} exists and is a ${found.type}; set force: true to replace it` };
        // What is made is a link: follow: false means its own attributes (no mode on Linux), else
        // its target's mode, left alone where the target does not exist (Ansible's ENOENT rule).
        const attrs = attrChanges(found.exists ? found : undefined, args, args.path, false, args.follow === false, made);
        const linked = found.type === 'link' && found.linkTarget === args.src;
        if (linked && !times.changed) return { changed: false, msg: 'link already points at src' };
        const ownership = attrs.commands.map((c) => (c.startsWith('chmod ') ? `{ [ ! -e ${p} ] || ${c}; }` : c.replace(/^ch(own|grp)/, 'ch$1 -h')));
        const link = linked ? [] : [`ln -sfn ${quotePath(args.src)} ${p}`, ...ownership];
        // Times are the target's, as Ansible's os.utime follows the link.
        return make(
          linked
            ? `times differ (${times.after.join(', ')})`
            : found.exists
              ? `link target differs (${found.linkTarget ?? found.type})`
              : 'link would be created',
          [...link, ...times.commands],
          `link -> ${args.src}${times.after.length ? ` ${times.after.join(' ')}` : ''}\n`,
        );
      }
      default: {
        if (!found.exists) return { changed: false, failed: true, msg: `${args.path} does not exist (use state=touch to create it)` };
        const attrs = attrsOf(found);
        if (!attrs.changed && !times.changed) return { changed: false, msg: 'attributes already as wanted' };
        const after = [...attrs.after, ...times.after];
        return make(`attributes differ (${after.join(', ')})`, [...attrs.commands, ...times.commands], `${found.type} ${after.join(' ')}\n`);
      }
    }
  },
};

/** src as Ansible reads it for a link: relative to the directory of the path being made. */
const linkSource = (args: FileArgs) => (args.src!.startsWith('/') ? args.src! : posix.join(posix.dirname(args.path), args.src!));

function withInodes(look: Query<RemoteStat>, args: FileArgs): Query<FileFound> {
  const inode = (path: string) => `stat -c '%d:%i' -- ${quotePath(path)} 2>/dev/null || echo none`;
  return new Query(look.script, (res) => {
    const stat = look.parse(res) as RemoteStat;
    return new Query(`${inode(linkSource(args))}\n${inode(args.path)}`, (ids) => {
      const [src, path] = ids.stdout.split('\n').map((l) => (l === 'none' ? undefined : l));
      return { ...stat, hard: { src, path } };
    });
  });
}

/** state=hard in Ansible's words: the same inode is nothing to do; another file needs force. */
function planHardLink(args: FileArgs, found: FileFound, make: (why: string, commands: string[], after: string) => Outcome): Outcome {
  if (!args.src) return { changed: false, failed: true, msg: 'src is required for creating new hardlinks' };
  const src = linkSource(args);
  if (!found.hard?.src) return { changed: false, failed: true, msg: 'src does not exist', result: { dest: args.path, src: args.src } };
  const result = { dest: args.path, src: args.src };
  if (found.exists && found.hard.path === found.hard.src) {
    const attrs = attrChanges(found, args, args.path);
    if (!attrs.changed) return { changed: false, msg: `${args.path} is already a hard link of ${src}`, result: { ...result, state: 'hard' } };
    return {
      ...make(`attributes differ (${attrs.after.join(', ')})`, attrs.commands, `hard -> ${src} ${attrs.after.join(' ')}\n`),
      result: { ...result, state: 'hard' },
    };
  }
  if (found.exists && found.type === 'directory') return { changed: false, failed: true, msg: `Cannot link: ${args.path} is a directory` };
  if (found.exists && found.type !== 'link' && !args.force)
    return { changed: false, failed: true, msg: `Cannot link, ${found.type} exists at destination`, result };
  const attrs = attrChanges(undefined, args, args.path);
  const outcome = make(
    found.exists ? `${args.path} would be replaced by a hard link of ${src}` : `hard link of ${src} would be created`,
    [`ln -f -- ${quotePath(src)} ${quotePath(args.path)}`, ...attrs.commands],
    `hard -> ${src}\n`,
  );
  return { ...outcome, result: { ...result, state: 'hard' } };
}
