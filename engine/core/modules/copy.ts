// copy: put content (inline, from a local file, or with remote_src from a file on the host) at a
// remote path, atomically.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { quotePath } from '../connection/quote';
import { pythonJson } from '../pyjson';
import { type Module, type Outcome, Query } from './types';
import { type Attrs, attrChanges, normalizeMode } from './util/attrs';
import { contentProperties, planContent, probeTarget, type Target } from './util/content';
import { type RemoteStat, statQuery } from './util/remote';
import { runStep } from './util/steps';

interface CopyArgs extends Attrs {
  dest: string;
  src?: string;
  content?: unknown;
  backup?: boolean;
  force?: boolean;
  validate?: string;
  remote_src?: boolean;
}

interface Found extends Target {
  /** With remote_src: the source file on the host. */
  source?: RemoteStat;
}

function probe(args: CopyArgs): Query<Found> {
  const target = probeTarget(args.dest, args.src === undefined ? undefined : basename(args.src));
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
  const attrs = attrChanges(found.stat.exists && !contentChanges ? found.stat : undefined, args, found.path);
  const result = { dest: found.path, src: args.src, size: source.size, state: 'file', ...(args.mode !== undefined ? { mode: normalizeMode(args.mode) } : {}) };
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
      src: { type: 'string', description: 'Local file, looked up in files/ of the role, then the playbook (with remote_src: a path on the host).' },
      content: { description: 'Inline content (instead of src); a list or mapping is written as JSON, as Ansible does.' },
      remote_src: { type: 'boolean', description: 'src is a file on the host, copied there.' },
      ...contentProperties,
    },
    required: ['dest'],
    additionalProperties: false,
  },
  probe,
  plan(args, found, ctx) {
    if ((args.src === undefined) === (args.content === undefined)) return { changed: false, failed: true, msg: 'copy needs exactly one of src or content' };
    if (args.remote_src) return planRemoteCopy(args, found);
    const content = args.content !== undefined ? Buffer.from(contentText(args.content)) : readFileSync(ctx.findLocal('files', args.src!));
    return planContent({ ...args, dest: found.path, content }, found.stat);
  },
};
