// fetch: a file of the host copied to the controller, under dest/<host>/<src path> (or, flat, to
// dest itself), as Ansible's fetch. Changed when the local copy's SHA-1 differs; the copy is
// written atomically and checked against the host's checksum before it replaces the old one.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, posix } from 'node:path';
import { type SlurpFound, slurpQuery } from './slurp';
import type { Module, Outcome } from './types';

interface FetchArgs {
  src: string;
  dest: string;
  flat?: boolean;
  fail_on_missing?: boolean;
  validate_checksum?: boolean;
}

/** The controller's side, read before the host's: where the copy goes and what is there now. */
interface LocalCopy {
  dest: string;
  directory: boolean;
  sha1?: string;
}

interface FetchFound {
  local: LocalCopy;
  remote: SlurpFound;
}

const digest = (algorithm: 'sha1' | 'md5', data: Buffer) => createHash(algorithm).update(data).digest('hex');

/** Ansible's destination: flat, dest itself (a trailing slash adds src's name); else dest/<host>/<src>. */
export function fetchDestination(args: FetchArgs, host: string, resolve: (path: string) => string): string {
  if (args.flat) return resolve(args.dest.endsWith('/') ? args.dest + posix.basename(args.src) : args.dest);
  return normalize(join(resolve(args.dest), host, args.src));
}

/** Ansible's words for a file it will not fetch; with fail_on_missing false it says it ignored it. */
function unfetchable(remote: Exclude<SlurpFound['read'], 'ok'>, failing: boolean): string {
  if (remote === 'directory') return `remote file is a directory, fetch cannot work on directories${failing ? '' : ', not transferring, ignored'}`;
  if (remote === 'missing') return 'the remote file does not exist, not transferring, ignored';
  return 'file is not readable, not transferring, ignored';
}

/** The copy written next to its place and renamed over it: a killed run leaves the old one whole. */
function writeLocal(dest: string, data: Buffer): void {
  mkdirSync(dirname(dest), { recursive: true });
  const temp = join(dirname(dest), `.${posix.basename(dest)}.engine-${randomBytes(6).toString('hex')}`);
  try {
    writeFileSync(temp, data, { flag: 'wx' });
    if (digest('sha1', readFileSync(temp)) !== digest('sha1', data)) throw new Error(`checksum mismatch writing ${dest}`);
    renameSync(temp, dest);
  } finally {
    rmSync(temp, { force: true });
  }
}

function planFetch(args: FetchArgs, found: FetchFound): Outcome {
  const { local, remote } = found;
  if (remote.read !== 'ok') {
    const failed = args.fail_on_missing !== false;
    return { changed: false, failed, msg: unfetchable(remote.read, failed), result: { file: args.src } };
  }
  if (local.directory)
    return {
      changed: false,
      failed: true,
      msg: `dest is an existing directory, use a trailing slash if you want to fetch src into that directory: ${local.dest}`,
    };
  const data = Buffer.from(remote.content, 'base64');
  const checksum = digest('sha1', data);
  const facts = { checksum, md5sum: digest('md5', data), dest: local.dest };
  if (local.sha1 === checksum) return { changed: false, msg: `${local.dest} is already the host's ${args.src}`, result: { ...facts, file: args.src } };
  return {
    changed: true,
    msg: `${args.src} -> ${local.dest}`,
    result: { ...facts, remote_checksum: checksum, remote_md5sum: null },
    steps: [{ kind: 'call', what: `writing ${local.dest}`, fn: async () => writeLocal(local.dest, data) }],
  };
}

export const fetch: Module<FetchArgs, FetchFound> = {
  name: 'fetch',
  freeForm: 'kv',
  schema: {
    type: 'object',
    description: 'Copies a file of the host to the controller: dest/<inventory_hostname>/<src>, or with flat dest itself.',
    properties: {
      src: { type: 'string', description: 'The file on the host (not a directory).' },
      dest: { type: 'string', description: 'A directory on the controller (with flat: the file, or a directory ending in /).' },
      flat: { type: 'boolean', description: 'Write to dest itself, not under dest/<host>/ (default false).' },
      fail_on_missing: { type: 'boolean', description: 'A src not there, not readable or a directory fails the task (default true).' },
      validate_checksum: { type: 'boolean', description: "The copy is always checked against the host's checksum before it replaces the old one." },
    },
    required: ['src', 'dest'],
    additionalProperties: false,
  },
  async prepare(args, ctx): Promise<LocalCopy> {
    const dest = fetchDestination(args, ctx.host, ctx.localPath);
    const directory = existsSync(dest) && statSync(dest).isDirectory();
    return { dest, directory, sha1: existsSync(dest) && !directory ? digest('sha1', readFileSync(dest)) : undefined };
  },
  probe: (args, ctx) => slurpQuery(args.src).map((remote) => ({ local: ctx.prepared as LocalCopy, remote })),
  plan: planFetch,
};
