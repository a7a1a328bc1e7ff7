// assemble: one file made of the fragments in a directory (on the host, or with remote_src: false
// on the controller), in name order, as Ansible's: a newline between fragments when one lacks
// it, an optional delimiter between them. Written only when the result differs from dest.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { quotePath } from '../connection/quote';
import { pythonRegExp } from '../pyregex';
import { type Module, type Outcome, type ProbeContext, Query } from './types';
import { type Attrs, attrProperties } from './util/attrs';
import { planContent } from './util/content';
import { type RemoteStat, statQuery } from './util/remote';

interface AssembleArgs extends Attrs {
  src: string;
  dest: string;
  delimiter?: string;
  regexp?: string;
  ignore_hidden?: boolean;
  remote_src?: boolean;
  backup?: boolean;
  validate?: string;
  decrypt?: boolean;
}

interface Fragment {
  name: string;
  content: Buffer;
}

interface Found {
  /** The fragments' directory: missing, not a directory, or its regular files (links followed). */
  source: 'missing' | 'not a directory' | Fragment[];
  dest: RemoteStat;
}

/** On the host: `dir`, then each regular file's name and content in base64, a line each. */
function fragmentsScript(src: string): string {
  const d = quotePath(src.replace(/(.)\/+$/, '$1'));
  return [
    `if [ ! -e ${d} ]; then echo missing; exit 0; elif [ ! -d ${d} ]; then echo 'not a directory'; exit 0; fi; echo dir`,
    `for f in ${d}/* ${d}/.[!.]* ${d}/..?*; do [ -f "$f" ] || continue; printf '%s' "\${f##*/}" | base64 -w0; echo; base64 -w0 < "$f"; echo; done`,
  ].join('\n');
}

function parseFragments(stdout: string): Found['source'] {
  const [head, ...lines] = stdout.split('\n');
  if (head !== 'dir') return head === 'missing' ? 'missing' : 'not a directory';
  const fragments: Fragment[] = [];
  for (let i = 0; i + 1 < lines.length; i += 2)
    fragments.push({ name: Buffer.from(lines[i], 'base64').toString('utf8'), content: Buffer.from(lines[i + 1], 'base64') });
  return fragments;
}

function localFragments(dir: string): Found['source'] {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    return 'missing';
  }
  if (!isDir) return 'not a directory';
  return readdirSync(dir)
    .filter((name) => statSync(join(dir, name), { throwIfNoEntry: false })?.isFile())
    .map((name) => ({ name, content: readFileSync(join(dir, name)) }));
}

function probe(args: AssembleArgs, ctx: ProbeContext): Query<Found> {
  const dest = statQuery(args.dest, { checksum: true, content: true, contentLimit: 256 * 1024, follow: true });
  if (args.remote_src === false) {
    let source: Found['source'];
    try {
      source = localFragments(ctx.findLocal('files', args.src));
    } catch {
      source = 'missing';
    }
    return dest.map((stat) => ({ source, dest: stat }));
  }
  const look = new Query(fragmentsScript(args.src), (res) => parseFragments(res.stdout), { what: `reading the fragments in ${args.src}` });
  return new Query(look.script, (res) => {
    const source = look.parse(res) as Found['source'];
    return dest.map((stat) => ({ source, dest: stat }));
  });
}

/** Python's codecs.escape_decode of the delimiter: `\n`, `\t`, `\x41`, octal; an unknown escape keeps its backslash. */
function escapeDecoded(text: string): string {
  const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\', "'": "'", '"': '"', '\n': '' };
  return text.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|[\s\S])/g, (whole, code: string) => {
    if (code in simple) return simple[code];
    if (code.startsWith('x')) return String.fromCharCode(Number.parseInt(code.slice(1), 16));
    if (/^[0-7]/.test(code)) return String.fromCharCode(Number.parseInt(code, 8) & 0xff);
    return whole;
  });
}

/** The fragments joined as Ansible's assemble_from_fragments joins them. */
function assembled(fragments: Fragment[], options: { delimiter?: string; regexp?: RegExp; ignoreHidden?: boolean }): Buffer {
  const parts: Buffer[] = [];
  let first = true;
  let needsNewline = false;
  // Python's sorted(): by code point, not by the host's locale.
  const names = [...fragments].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const { name, content } of names) {
    if (options.regexp && !options.regexp.test(name)) continue;
    if (options.ignoreHidden && name.startsWith('.')) continue;
    if (needsNewline) parts.push(Buffer.from('\n'));
    if (!first && options.delimiter) {
      const delimiter = escapeDecoded(options.delimiter);
      parts.push(Buffer.from(delimiter, 'latin1'));
      if (!delimiter.endsWith('\n')) parts.push(Buffer.from('\n'));
    }
    parts.push(content);
    first = false;
    needsNewline = !content.toString('latin1').endsWith('\n');
  }
  return Buffer.concat(parts);
}

export const assemble: Module<AssembleArgs, Found> = {
  name: 'assemble',
  freeForm: 'kv',
  schema: {
    type: 'object',
    description: 'Makes dest the concatenation of the files in the directory src, in name order.',
    properties: {
      src: { type: 'string', description: 'Directory of fragments on the host (with remote_src: false, on the controller, in files/).' },
      dest: { type: 'string', description: 'The file to write.' },
      delimiter: { type: 'string', description: 'Text put between fragments (escapes such as \\n are read; a newline follows it).' },
      regexp: { type: 'string', description: 'Only fragments whose name this Python regex finds something in.' },
      ignore_hidden: { type: 'boolean', description: 'Leave out fragments whose name starts with a dot.' },
      remote_src: { type: 'boolean', description: 'src is on the host (default true); false: on the controller.' },
      backup: { type: 'boolean', description: 'Keep a timestamped copy of the old dest.' },
      validate: { type: 'string', description: 'Command to check the new file first; %s is its temporary path.' },
      decrypt: {
        type: 'boolean',
        description: 'Default true; a vault-encrypted fragment on the controller fails the task (the engine does not decrypt fragments).',
      },
      ...attrProperties,
    },
    required: ['src', 'dest'],
    additionalProperties: false,
  },
  probe,
  plan(args, found): Outcome {
    if (found.source === 'missing') return { changed: false, failed: true, msg: `Source (${args.src}) does not exist` };
    if (found.source === 'not a directory') return { changed: false, failed: true, msg: `Source (${args.src}) is not a directory` };
    let regexp: RegExp | undefined;
    try {
      regexp = args.regexp === undefined ? undefined : pythonRegExp(args.regexp);
    } catch (err) {
      return { changed: false, failed: true, msg: `Invalid Regexp (${(err as Error).message}) in "${args.regexp}"` };
    }
    const vaulted =
      args.remote_src === false && args.decrypt !== false ? found.source.find((f) => f.content.subarray(0, 14).toString() === '$ANSIBLE_VAULT') : undefined;
    if (vaulted) return { changed: false, failed: true, msg: `fragment ${vaulted.name} is vault-encrypted: the engine's assemble does not decrypt fragments` };
    const content = assembled(found.source, { delimiter: args.delimiter, regexp, ignoreHidden: args.ignore_hidden });
    const outcome = planContent({ ...args, content }, found.dest);
    return { ...outcome, result: { ...outcome.result, src: args.src } };
  },
};
