// slurp: a file of the host, whole, as base64 in `content` (read-only: in check mode too), with
// Ansible's messages for what cannot be read.
import { quotePath } from '../connection/quote';
import { type Module, Query } from './types';

interface SlurpArgs {
  src: string;
}

export type SlurpFound = { read: 'ok'; content: string } | { read: 'missing' | 'notdir' | 'unreadable' | 'directory' };

/**
 * Opens the file as Python's open() would, in its order: a path not there (through a file:
 * ENOTDIR; under a directory that may not be searched: EACCES), then permission, then a
 * directory; only then the content.
 */
function slurpScript(src: string): string {
  const p = quotePath(src);
  return [
    `if [ ! -e ${p} ]; then`,
    `  d=${p}; while d=$(dirname "$d") && [ ! -e "$d" ]; do :; done`,
    `  if [ ! -d "$d" ]; then echo notdir; elif [ ! -x "$d" ]; then echo unreadable; else echo missing; fi; exit 0`,
    'fi',
    `if [ ! -r ${p} ]; then echo unreadable; exit 0; fi`,
    `if [ -d ${p} ]; then echo directory; exit 0; fi`,
    `echo ok; base64 -w0 < ${p}`,
  ].join('\n');
}

function parseSlurp(stdout: string): SlurpFound {
  const [read, content] = stdout.split('\n');
  return read === 'ok' ? { read, content: content ?? '' } : { read: read as Exclude<SlurpFound['read'], 'ok'> };
}

/** Ansible's slurp messages, by what Python's open() would have raised. */
function failure(read: Exclude<SlurpFound['read'], 'ok'>, src: string): string {
  if (read === 'missing') return `file not found: ${src}`;
  if (read === 'unreadable') return `file is not readable: ${src}`;
  if (read === 'directory') return `source is a directory and must be a file: ${src}`;
  return `unable to slurp file: [Errno 20] Not a directory: '${src}'`;
}

/** The file's content as base64, or why it cannot be read (fetch reads files the same way). */
export function slurpQuery(src: string): Query<SlurpFound> {
  return new Query(slurpScript(src), (res) => parseSlurp(res.stdout), { what: `reading ${src}` });
}

export const slurp: Module<SlurpArgs, SlurpFound> = {
  name: 'slurp',
  freeForm: 'kv',
  argAliases: { path: 'src' },
  schema: {
    type: 'object',
    description: 'Reads a file of the host into `content` (base64; `encoding` says so), `source` its path. Changes nothing.',
    properties: { src: { type: 'string', description: 'The file on the host.' } },
    required: ['src'],
    additionalProperties: false,
  },
  probe: (args) => slurpQuery(args.src),
  plan(args, found) {
    if (found.read !== 'ok') return { changed: false, failed: true, msg: failure(found.read, args.src) };
    return { changed: false, msg: `read ${args.src}`, result: { content: found.content, source: args.src, encoding: 'base64' } };
  },
};
