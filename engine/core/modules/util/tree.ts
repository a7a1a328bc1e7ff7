// copy of a local directory, as Ansible's copy action does it: the tree under src (its contents
// when src ends in /, the directory itself otherwise) made under dest, file by file, each compared
// by checksum; one look at the host for the whole tree.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { quote, quotePath } from '../../connection/quote';
import { type Diff, type Outcome, Query, type Step } from '../types';
import { type Attrs, attrChanges, normalizeMode } from './attrs';
import { contentDiff } from './content';
import { type RemoteStat, sha256 } from './remote';
import { runStep, writeStep } from './steps';

/** A local directory's tree, relative paths, parents before their children (symlinks followed, as Ansible's local_follow). */
export interface LocalTree {
  root: string;
  dirs: string[];
  files: string[];
}

export function localTree(root: string): LocalTree {
  const dirs: string[] = [];
  const files: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      if (statSync(join(root, path)).isDirectory()) {
        dirs.push(path);
        walk(path);
      } else files.push(path);
    }
  };
  walk('');
  return { root, dirs, files };
}

/** Where the tree goes on the host: into dest for `src/`, as dest/<name of src> for `src`. */
export function treeDestination(src: string, dest: string): string {
  return src.endsWith('/') ? dest.replace(/(.)\/+$/, '$1') : join(dest, basename(src));
}

/** What is at each path of the tree on the host: absent, a directory, a file (attributes and sha256), or something else. */
export interface RemoteTree {
  dest: string;
  dirs: Map<string, RemoteStat>;
  files: Map<string, RemoteStat>;
}

const LOOK = `look() { if [ -d "$1" ]; then echo directory; elif [ -f "$1" ]; then set -- "$1" $(stat -L -c '%a %U %G' "$1"); echo "file $2 $3 $4 $(sha256sum < "$1" | cut -c1-64)"; elif [ -e "$1" ] || [ -L "$1" ]; then echo other; else echo absent; fi; }`;

export function treeQuery(tree: LocalTree, dest: string): Query<RemoteTree> {
  const paths = ['', ...tree.dirs, ...tree.files];
  const script = [LOOK, `for p in ${paths.map((p) => quote(p ? join(dest, p) : dest)).join(' ')}; do look "$p"; done`].join('\n');
  return new Query(
    script,
    (res) => {
      const lines = res.stdout.split('\n');
      const stats = paths.map((_p, i) => parseLook(lines[i] ?? 'absent'));
      return {
        dest,
        dirs: new Map(['', ...tree.dirs].map((p, i) => [p, stats[i]])),
        files: new Map(tree.files.map((p, i) => [p, stats[i + tree.dirs.length + 1]])),
      };
    },
    { what: `looking at ${dest}` },
  );
}

function parseLook(line: string): RemoteStat {
  const [type, mode, owner, group, sum] = line.split(' ');
  if (type === 'absent') return { exists: false };
  if (type !== 'file') return { exists: true, type: type as RemoteStat['type'] };
  return { exists: true, type: 'file', mode: mode.padStart(4, '0'), owner, group, sha256: sum };
}

export interface TreeWant extends Attrs {
  src: string;
  dest: string;
  directory_mode?: string | number;
  force?: boolean;
  backup?: boolean;
  validate?: string;
}

/**
 * The tree's plan: missing directories made (with directory_mode), files written where absent or
 * different (force: false leaves existing ones), attributes fixed where only they differ.
 */
export function planTree(want: TreeWant, tree: LocalTree, found: RemoteTree): Outcome {
  // As Ansible's result: dest as given, as a directory.
  const result = { dest: want.dest.endsWith('/') ? want.dest : `${want.dest}/`, src: want.src };
  const notDir = [...found.dirs].find(([, stat]) => stat.exists && stat.type !== 'directory');
  if (notDir) return { changed: false, failed: true, msg: `${join(found.dest, notDir[0])} exists and is not a directory`, result };
  const notFile = [...found.files].find(([, stat]) => stat.exists && stat.type !== 'file');
  if (notFile) return { changed: false, failed: true, msg: `${join(found.dest, notFile[0])} exists and is a ${notFile[1].type}`, result };
  const steps: Step[] = [];
  const diff: Diff[] = [];
  const missingDirs = [...found.dirs].filter(([, stat]) => !stat.exists).map(([rel]) => (rel ? join(found.dest, rel) : found.dest));
  if (missingDirs.length) steps.push(runStep(makeDirs(missingDirs, want), `making ${missingDirs.length} directories under ${found.dest}`));
  let written = 0;
  for (const rel of tree.files) {
    const path = join(found.dest, rel);
    const stat = found.files.get(rel) as RemoteStat;
    const content = readFileSync(join(tree.root, rel));
    if (!stat.exists || (want.force !== false && stat.sha256 !== sha256(content))) {
      written++;
      diff.push(contentDiff(path, undefined, content, false));
      if (stat.exists) diff[diff.length - 1].before = `(sha256 ${stat.sha256})\n`;
      const options = {
        mode: normalizeMode(want.mode, stat),
        owner: want.owner,
        group: want.group,
        backup: want.backup && stat.exists,
        validate: want.validate,
      };
      steps.push(writeStep(path, content, options));
      continue;
    }
    const attrs = attrChanges(stat, want, path);
    if (attrs.changed) steps.push(runStep(attrs.commands.join(' && ')));
  }
  if (!steps.length) return { changed: false, msg: 'every file of the tree already as wanted', result };
  const fixed = steps.length - written - (missingDirs.length ? 1 : 0);
  return {
    changed: true,
    msg: `${written} files would be written, ${fixed} would get their attributes, ${missingDirs.length} directories would be made under ${found.dest}`,
    diff,
    result,
    steps,
  };
}

/** Missing directories, parents first, each with directory_mode (or the umask's) and the wanted owner and group. */
function makeDirs(dirs: string[], want: TreeWant): string {
  const mode = normalizeMode(want.directory_mode, { type: 'directory' });
  // The first is the topmost: its parents are made too, as Ansible's file state=directory does.
  const commands = dirs.map((d, i) => `mkdir ${i === 0 ? '-p ' : ''}${mode ? `-m ${mode} ` : ''}${quotePath(d)}`);
  const owned = [want.owner ? `chown ${quote(want.owner)}` : '', want.group ? `chgrp ${quote(want.group)}` : ''].filter(Boolean);
  for (const change of owned) commands.push(`${change} ${dirs.map(quotePath).join(' ')}`);
  return commands.join(' && ');
}
