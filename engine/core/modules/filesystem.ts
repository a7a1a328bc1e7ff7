// filesystem: makes a filesystem on a device (or image file) only when blkid reports exactly
// "no signature there". Anything else blkid can say (a filesystem of another type, ambivalent
// signatures, an I/O error) stops with an error naming the device: mkfs never runs on a guess.
import { quotePath } from '../connection/quote';
import { type Module, ModuleError, Query } from './types';
import { shlexSplit } from '../connection/shlex';
import { argvStep } from './util/steps';

interface FilesystemArgs {
  fstype: string;
  dev: string;
  opts?: string;
  force?: boolean;
}

/** What is on the device: blkid -p's exit status and the signature it names. */
export interface DeviceContent {
  exists: boolean;
  /** 0 found, 2 nothing found, 4 usage or I/O error, 8 ambivalent result. */
  blkidRc?: number;
  type?: string;
  output?: string;
}

// blkid's documented exit statuses (util-linux blkid(8)).
const BLKID_FAILURES: Record<number, string> = { 4: 'usage or I/O error', 8: 'ambivalent result: more than one signature' };

/** Parses the probe's output: a line `missing`, or `rc=N` followed by blkid -o export lines. */
export function parseDeviceProbe(text: string): DeviceContent {
  const [first, ...rest] = text.split('\n');
  if (first === 'missing') return { exists: false };
  const rc = Number(/^rc=(\d+)$/.exec(first)?.[1] ?? NaN);
  const fields = Object.fromEntries(
    rest
      .map((l) => /^([A-Z_]+)=(.*)$/.exec(l))
      .filter((m) => m !== null)
      .map((m) => [m![1], m![2]]),
  );
  return { exists: true, blkidRc: rc, type: fields.TYPE, output: rest.join('\n').trim() };
}

function mkfsArgv(args: FilesystemArgs): string[] {
  if (!/^[a-z0-9]+$/.test(args.fstype)) throw new ModuleError(`fstype '${args.fstype}' is not a filesystem type (mkfs.<fstype> must exist)`);
  const force = args.force ? (args.fstype === 'xfs' ? ['-f'] : ['-F']) : [];
  return [`mkfs.${args.fstype}`, ...force, ...shlexSplit(args.opts ?? ''), '--', args.dev];
}

export const filesystem: Module<FilesystemArgs, DeviceContent> = {
  name: 'filesystem',
  freeForm: 'kv',
  argAliases: { type: 'fstype', device: 'dev' },
  schema: {
    type: 'object',
    description: 'Makes a filesystem on a block device or image file, only where blkid finds no signature at all.',
    properties: {
      fstype: { type: 'string', description: 'Filesystem type (mkfs.<fstype>): ext4, xfs, ...' },
      dev: { type: 'string', description: 'Block device or regular file.' },
      opts: { type: 'string', description: 'More mkfs options (shell words).' },
      force: { type: 'boolean', description: 'Replace a filesystem of another type that blkid names. Never applies when blkid cannot tell what is there.' },
    },
    required: ['fstype', 'dev'],
    additionalProperties: false,
  },
  probe(args) {
    const d = quotePath(args.dev);
    const script = `if [ ! -e ${d} ]; then echo missing; exit 0; fi\nout=$(blkid -p -o export ${d} 2>&1); echo "rc=$?"; printf '%s\\n' "$out"`;
    return new Query(script, (res) => parseDeviceProbe(res.stdout), { what: `probing ${args.dev}` });
  },
  plan(args, found) {
    const dev = args.dev;
    if (!found.exists) return { changed: false, failed: true, msg: `device ${dev} not found` };
    const make = (why: string, before: string) => {
      const argv = mkfsArgv(args);
      return {
        changed: true,
        msg: why,
        diff: [{ before, after: `${dev}: ${args.fstype}\n`, beforeHeader: 'filesystem', afterHeader: 'filesystem' }],
        steps: [argvStep(argv)],
      };
    };
    if (found.blkidRc === 2) return make(`${args.fstype} would be made on ${dev} (blkid: no signature)`, `${dev}: (no filesystem)\n`);
    if (found.blkidRc === 0) {
      if (found.type === args.fstype) return { changed: false, msg: `${dev} already holds ${args.fstype}` };
      if (args.force) return make(`${found.type ?? 'a signature'} on ${dev} would be replaced by ${args.fstype} (force)`, `${dev}: ${found.type}\n`);
      return {
        changed: false,
        failed: true,
        msg: `${dev} already holds ${found.type ?? 'a signature'} (blkid: ${found.output}); refusing to make ${args.fstype} over it (force: true replaces it)`,
      };
    }
    const why = BLKID_FAILURES[found.blkidRc ?? -1] ?? `exit status ${found.blkidRc}`;
    return {
      changed: false,
      failed: true,
      msg: `blkid cannot tell what is on ${dev} (${why}: ${found.output || 'no output'}); refusing to make a filesystem there`,
    };
  },
};
