// The shared core of copy and template: compare wanted content with the remote file, diff, write.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { quotePath } from '../../connection/quote';
import { type Diff, type Outcome, Query } from '../types';
import { type Attrs, attrChanges, attrProperties, normalizeMode } from './attrs';
import { type RemoteStat, sha256, statQuery } from './remote';
import { runStep, writeStep } from './steps';

/** Files larger than this are compared by checksum only and shown as a one-line diff. */
const DIFF_LIMIT = 256 * 1024;

/** Arguments shared by copy and template. */
export const contentProperties = {
  backup: { type: 'boolean', description: 'Keep a timestamped copy of the old file.' },
  force: { type: 'boolean', description: 'Replace a file whose content differs (default true).' },
  validate: { type: 'string', description: 'Command to check the new file first; %s is its temporary path.' },
  follow: { type: 'boolean', description: 'A dest that is a symlink: write the file it points to (default: the link is replaced by the file).' },
  ...attrProperties,
};

function probeContent(dest: string): Query<RemoteStat> {
  return statQuery(dest, { checksum: true, content: true, contentLimit: DIFF_LIMIT, follow: true });
}

/** The file a copy or template writes, and what is there now. */
export interface Target {
  path: string;
  stat: RemoteStat;
}

/**
 * As Ansible's copy and template: a dest that ends in / or is a directory means the file named
 * `name` (the source's base name) inside it; the look follows into it.
 */
export function probeTarget(dest: string, name: string | undefined, follow = false): Query<Target> {
  if (follow) {
    const p = quotePath(dest);
    return new Query(`if [ -L ${p} ]; then readlink -f -- ${p}; else echo; fi`, (res) => probeTarget(res.stdout.trim() || dest, name));
  }
  if (name !== undefined && dest.endsWith('/')) return probeContent(join(dest, name)).map((stat) => ({ path: join(dest, name), stat }));
  return new Query(probeContent(dest).script, (res) => {
    const stat = probeContent(dest).parse(res) as RemoteStat;
    if (stat.type !== 'directory' || name === undefined) return { path: dest, stat };
    return probeContent(join(dest, name)).map((inner) => ({ path: join(dest, name), stat: inner }));
  });
}

/**
 * What Ansible's copy and template return about the file: checksum is sha1, as theirs; owner,
 * group and mode as the file has them (those a write makes, the write step reports).
 */
function contentResult(path: string, content: Buffer, want: Attrs, found: RemoteStat): Record<string, unknown> {
  const kept = found.exists ? { owner: found.owner, group: found.group, uid: found.uid, gid: found.gid, mode: found.mode } : {};
  return {
    dest: path,
    checksum: createHash('sha1').update(content).digest('hex'),
    md5sum: createHash('md5').update(content).digest('hex'),
    size: content.length,
    state: 'file',
    ...kept,
    ...(want.mode !== undefined ? { mode: normalizeMode(want.mode, found) } : {}),
    ...(want.owner !== undefined ? { owner: want.owner } : {}),
    ...(want.group !== undefined ? { group: want.group } : {}),
  };
}

function isText(data: Buffer): boolean {
  return data.length <= DIFF_LIMIT && !data.includes(0);
}

export function contentDiff(dest: string, before: Buffer | undefined, after: Buffer, existed: boolean): Diff {
  const describe = (b: Buffer) => (isText(b) ? b.toString('utf8') : `(binary or large file, ${b.length} bytes, sha256 ${sha256(b)})\n`);
  return {
    before: existed && before ? describe(before) : '',
    after: describe(after),
    beforeHeader: existed ? dest : '/dev/null',
    afterHeader: dest,
  };
}

export interface ContentWant extends Attrs {
  dest: string;
  content: Buffer;
  backup?: boolean;
  force?: boolean;
  /** A command run on the temp copy before it replaces dest, %s is the path (like Ansible's validate). */
  validate?: string;
}

export function planContent(want: ContentWant, found: RemoteStat): Outcome {
  // As Ansible's: a validate command that is not given the file's path checks nothing.
  if (want.validate !== undefined && !want.validate.includes('%s')) return { changed: false, failed: true, msg: `validate must contain %s: ${want.validate}` };
  if (found.exists && found.type !== 'file') return { changed: false, failed: true, msg: `${want.dest} exists and is a ${found.type}` };
  const contentChanges = !found.exists || (want.force !== false && found.sha256 !== sha256(want.content));
  const attrs = attrChanges(found.exists ? found : undefined, want, want.dest, false, false, found);
  const attrOnly = !contentChanges && attrs.changed;
  const diff: Diff[] = [];
  if (contentChanges) diff.push(contentDiff(want.dest, found.content, want.content, found.exists));
  if (attrs.changed && found.exists)
    diff.push({
      before: `${attrs.before.join('\n')}\n`,
      after: `${attrs.after.join('\n')}\n`,
      beforeHeader: `${want.dest} (attributes)`,
      afterHeader: `${want.dest} (attributes)`,
    });
  const result = contentResult(want.dest, want.content, want, found);
  if (!contentChanges && !attrs.changed) return { changed: false, msg: 'content and attributes already as wanted', result };
  return {
    changed: true,
    msg: contentChanges ? (found.exists ? 'content differs' : 'file would be created') : `attributes differ (${attrs.after.join(', ')})`,
    diff,
    result,
    steps: attrOnly
      ? [runStep(attrs.commands.join(' && '))]
      : [
          writeStep(want.dest, want.content, {
            mode: normalizeMode(want.mode, found),
            owner: want.owner,
            group: want.group,
            backup: want.backup && found.exists,
            validate: want.validate,
            reportStat: true,
          }),
        ],
  };
}
