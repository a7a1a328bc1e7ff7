// file: directories, empty files, symlinks, absence, and their attributes.
import { quotePath } from '../connection/quote';
import type { Module, Outcome } from './types';
import { attrChanges, attrProperties, normalizeMode } from './util/attrs';
import { type RemoteStat, statQuery } from './util/remote';
import { runStep } from './util/steps';

interface FileArgs {
  path: string;
  state?: 'file' | 'directory' | 'link' | 'absent' | 'touch';
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

export const file: Module<FileArgs, RemoteStat> = {
  name: 'file',
  argAliases: { dest: 'path', name: 'path' },
  freeForm: 'kv',
  schema: {
    type: 'object',
    description: 'Makes a path be a directory, a file, a symlink, or absent, with the given attributes.',
    properties: {
      path: { type: 'string', description: 'Remote path (aliases dest, name).' },
      state: {
        enum: ['file', 'directory', 'link', 'absent', 'touch'],
        description: "What the path must be (default: 'file', which only changes attributes of an existing file).",
      },
      src: { type: 'string', description: 'Target of the symlink (state=link).' },
      recurse: { type: 'boolean', description: 'Apply attributes recursively (state=directory).' },
      force: { type: 'boolean', description: 'Replace whatever is at path with the symlink.' },
      follow: {
        type: 'boolean',
        description: "false: owner and group of a symlink itself (chown -h), its mode left as Linux has it; default true: the link's target.",
      },
      ...attrProperties,
    },
    required: ['path'],
    additionalProperties: false,
  },
  probe: (args) => statQuery(args.path),
  plan(args, found): Outcome {
    const state = args.state ?? (found.exists ? (found.type === 'directory' ? 'directory' : 'file') : 'file');
    const p = quotePath(args.path);
    const attrsOf = (stat: RemoteStat | undefined) => attrChanges(stat, args, args.path, args.recurse, args.follow === false && stat?.type === 'link');
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
        if (found.exists && !attrs.changed) return { changed: false, msg: 'directory already as wanted' };
        // A new directory gets its mode from mkdir itself: one program less on the host.
        const mode = normalizeMode(args.mode);
        const create = mode ? [`mkdir -p -m ${mode} ${p}`, ...attrs.commands.filter((c) => !c.startsWith('chmod '))] : [`mkdir -p ${p}`, ...attrs.commands];
        const commands = found.exists ? attrs.commands : create;
        return make(
          found.exists ? `attributes differ (${attrs.after.join(', ')})` : 'directory would be created',
          commands,
          `directory ${attrs.after.join(' ')}\n`,
        );
      }
      case 'touch': {
        const attrs = attrsOf(found.exists ? found : undefined);
        const commands = [`touch ${p}`, ...attrs.commands];
        // touch always updates times, as in Ansible, so it always reports a change.
        return make(found.exists ? 'times would be updated' : 'file would be created', commands, `file ${attrs.after.join(' ')}\n`);
      }
      case 'link': {
        if (!args.src) return { changed: false, failed: true, msg: 'state=link needs src' };
        if (found.exists && found.type !== 'link' && !args.force)
          return { changed: false, failed: true, msg: `${args.path} exists and is a ${found.type}; set force: true to replace it` };
        const attrs = attrsOf(found.exists ? found : undefined);
        if (found.type === 'link' && found.linkTarget === args.src) return { changed: false, msg: 'link already points at src' };
        return make(
          found.exists ? `link target differs (${found.linkTarget ?? found.type})` : 'link would be created',
          [`ln -sfn ${quotePath(args.src)} ${p}`, ...attrs.commands.map((c) => c.replace(/^ch(own|grp)/, 'ch$1 -h'))],
          `link -> ${args.src}\n`,
        );
      }
      default: {
        if (!found.exists) return { changed: false, failed: true, msg: `${args.path} does not exist (use state=touch to create it)` };
        const attrs = attrsOf(found);
        if (!attrs.changed) return { changed: false, msg: 'attributes already as wanted' };
        return make(`attributes differ (${attrs.after.join(', ')})`, attrs.commands, `${found.type} ${attrs.after.join(' ')}\n`);
      }
    }
  },
};
