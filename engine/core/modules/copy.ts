// copy: put content (inline or from a local file) at a remote path, atomically.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Module } from './types';
import { contentProperties, planContent, probeContent } from './util/content';
import type { RemoteStat } from './util/remote';

interface CopyArgs {
  dest: string;
  src?: string;
  content?: string;
  mode?: string | number;
  owner?: string;
  group?: string;
  backup?: boolean;
  force?: boolean;
  validate?: string;
}

/** A dest ending in / means "into this directory", as in Ansible. */
function destPath(args: CopyArgs): string {
  return args.dest.endsWith('/') && args.src ? args.dest + basename(args.src) : args.dest;
}

export const copy: Module<CopyArgs, RemoteStat> = {
  name: 'copy',
  freeForm: 'kv',
  schema: {
    type: 'object',
    description: 'Writes a file from inline content or a local file (files/ of the role or playbook), atomically.',
    properties: {
      dest: { type: 'string', description: 'Remote path. Ending in / copies into that directory.' },
      src: { type: 'string', description: 'Local file, looked up in files/ of the role, then the playbook.' },
      content: { type: 'string', description: 'Inline content (instead of src).' },
      ...contentProperties,
    },
    required: ['dest'],
    additionalProperties: false,
  },
  probe: (args) => probeContent(destPath(args)),
  plan(args, found, ctx) {
    if ((args.src === undefined) === (args.content === undefined)) return { changed: false, failed: true, msg: 'copy needs exactly one of src or content' };
    const content = args.content !== undefined ? Buffer.from(String(args.content)) : readFileSync(ctx.findLocal('files', args.src!));
    return planContent({ ...args, dest: destPath(args), content }, found);
  },
};
