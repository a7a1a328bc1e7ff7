// copy: put content (inline, from a local file, or with remote_src from a file on the host) at a
// remote path, atomically.
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { quotePath } from '../connection/quote';
import { pythonJson } from '../pyjson';
import { type Module, type Outcome, type ProbeContext, Query } from './types';
import { type Attrs, attrChanges, normalizeMode } from './util/attrs';
import { contentProperties, planContent, probeTarget, type Target } from './util/content';
import { type RemoteStat, statQuery } from './util/remote';
import { runStep } from './util/steps';
import { type LocalTree, localTree, planTree, type RemoteTree, treeDestination, treeQuery } from './util/tree';

interface CopyArgs extends Attrs {
  dest: string;
  src?: string;
  content?: unknown;
  backup?: boolean;
  force?: boolean;
  validate?: string;
  remote_src?: boolean;
  directory_mode?: string | number;
  follow?: boolean;
}

interface Found extends Target {
  /** With remote_src: the source file on the host. */
  source?: RemoteStat;
  /** With a local directory as src: the tree and what is at each of its paths on the host. */
  tree?: { local: LocalTree; remote: RemoteTree };
}

/** src as a local directory, or undefined (a file, inline content, remote_src, or a src not found: the plan says so). */
function localDirectory(args: CopyArgs, ctx: ProbeContext): string | undefined {
  if (args.remote_src || args.src === undefined || args.content !== undefined) return undefined;
  try {
    const path = ctx.findLocal('files', args.src);
    return statSync(path).isDirectory() ? path : undefined;
  } catch {
    return undefined;
  }
}

function probe(args: CopyArgs, ctx: ProbeContext): Query<Found> {
  const directory = localDirectory(args, ctx);
  if (directory !== undefined) {
    const local = localTree(directory);
    const dest = treeDestination(args.src!, args.dest);
    return treeQuery(local, dest).map((remote) => ({ path: dest, stat: { exists: true }, tree: { local, remote } }));
  }
  const target = probeTarget(args.dest, args.src === undefined ? undefined : basename(args.src), args.follow);
  if (!args.remote_src || args.src === undefined) return target;
  const source = statQuery(args.src, { checksum: true, follow: true });
  return new Query(source.script, (res) => {
    const found = source.parse(res) as RemoteStat;
    return target.map((t) => ({ ...t, source: found }));
  });
}

/**
 * remote_src: the host copies its own file. Compared by checksum (the content stays on the host),
 * copied to a temporary name beside dest, then renamed over it.
 */
function planRemoteCopy(args: CopyArgs, found: Found): Outcome {
  const source = found.source!;
  if (!source.exists) return { changed: false, failed: true, msg: `Source ${args.src} not found` };
  if (source.type !== 'file') return { changed: false, failed: true, msg: `Source ${args.src} is a ${source.type}: only a file is copied with remote_src` };
  if (found.stat.exists && found.stat.type !== 'file') return { changed: false, failed: true, msg: `${found.path} exists and is a ${found.stat.type}` };
  const contentChanges = !found.stat.exists || (args.force !== false && found.stat.sha256 !== source.sha256);
  const attrs = attrChanges(found.stat.exists && !contentChanges ? found.stat : undefined, args, found.path, false, false, found.stat);
  const result = {
    dest: found.path,
    src: args.src,
    size: source.size,
    state: 'file',
    ...(args.mode !== undefined ? { mode: normalizeMode(args.mode, found.stat) } : {}),
  };
  if (!contentChanges && !attrs.changed) return { changed: false, msg: 'content and attributes already as wanted', result };
  const temp = quotePath(`${found.path}.engine-copy`);
  const copyCommands = contentChanges
    ? [
        `cp -- ${quotePath(args.src!)} ${temp}`,
        ...attrs.commands.map((c) => c.replace(quotePath(found.path), temp)),
        `mv -f -- ${temp} ${quotePath(found.path)}`,
      ]
    : attrs.commands;
  return {
    changed: true,
    msg: contentChanges ? `${found.path} differs from ${args.src}` : `attributes differ (${attrs.after.join(', ')})`,
    diff: contentChanges
      ? [
          {
            before: found.stat.exists ? `sha256 ${found.stat.sha256}\n` : '',
            after: `sha256 ${source.sha256} (${args.src})\n`,
            beforeHeader: found.path,
            afterHeader: found.path,
          },
        ]
      : [],
    result,
    steps: [runStep(copyCommands.join(' && '), `copying ${args.src} to ${found.path}`)],
  };
}

/** As Ansible's copy action: a list or dict is written as Python's json.dumps writes it, a boolean as Python prints it. */
function contentText(content: unknown): string {
  if (Array.isArray(content) || (content !== null && typeof content === 'object')) return pythonJson(content);
  return typeof content === 'boolean' ? (content ? 'True' : 'False') : String(content);
}

export const copy: Module<CopyArgs, Found> = {
  name: 'copy',
  freeForm: 'kv',
  schema: {
    type: 'object',
    description: 'Writes a file from inline content, a local file (files/ of the role or playbook) or, with remote_src, a file on the host, atomically.',
    properties: {
      dest: { type: 'string', description: 'Remote path. Ending in /, or an existing directory: the file of the same name in it.' },
      src: {
        type: 'string',
        description:
          'Local file, looked up in files/ of the role, then the playbook (with remote_src: a path on the host). A local directory is copied as a tree: its contents when src ends in /, itself otherwise.',
      },
      content: { description: 'Inline content (instead of src); a list or mapping is written as JSON, as Ansible does.' },
      remote_src: { type: 'boolean', description: 'src is a file on the host, copied there.' },
      directory_mode: { type: ['string', 'integer'], description: 'Mode of the directories a copy of a local directory makes (default: the umask).' },
      ...contentProperties,
    },
    required: ['dest'],
    additionalProperties: false,
  },
  probe,
  plan(args, found, ctx) {
    if ((args.src === undefined) === (args.content === undefined)) return { changed: false, failed: true, msg: 'copy needs exactly one of src or content' };
    if (args.remote_src) return planRemoteCopy(args.mode === 'preserve' ? { ...args, mode: found.source?.mode } : args, found);
    if (found.tree) {
      const { local, remote } = found.tree;
      return planTree({ ...args, src: args.src!.endsWith('/') && !local.root.endsWith('/') ? `${local.root}/` : local.root }, local, remote);
    }
    const local = args.content === undefined ? ctx.findLocal('files', args.src!) : undefined;
    const content = local === undefined ? Buffer.from(contentText(args.content)) : readFileSync(local);
    // mode preserve: the source's own mode, as Ansible's.
    const mode = args.mode === 'preserve' ? (local === undefined ? undefined : (statSync(local).mode & 0o7777).toString(8).padStart(4, '0')) : args.mode;
    return planContent({ ...args, mode, dest: found.path, content }, found.stat);
  },
};
