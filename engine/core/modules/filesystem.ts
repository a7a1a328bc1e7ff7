// filesystem: makes a filesystem on a device (or image file) only when blkid reports exactly
// "no signature there". Anything else blkid can say (a filesystem of another type, ambivalent
// signatures, an I/O error) stops with an error naming the device: mkfs never runs on a guess.
// With resizefs (as Ansible's), a filesystem of the declared type grows into a device that was
// made bigger: ext2/3/4 with resize2fs (online when mounted), xfs with xfs_growfs (mounted only).
import { quotePath } from '../connection/quote';
import { type Module, ModuleError, Query } from './types';
import { shlexSplit } from '../connection/shlex';
import { argvStep } from './util/steps';

interface FilesystemArgs {
  fstype: string;
  dev: string;
  opts?: string;
  force?: boolean;
  resizefs?: boolean;
}

/** What is on the device: blkid -p's exit status and the signature it names. */
export interface DeviceContent {
  exists: boolean;
  /** 0 found, 2 nothing found, 4 usage or I/O error, 8 ambivalent result. */
  blkidRc?: number;
  type?: string;
  output?: string;
  /** With resizefs: the device's size, the filesystem's, and where it is mounted (bytes). */
  deviceBytes?: number;
  filesystemBytes?: number;
  mountpoint?: string;
}

// blkid's documented exit statuses (util-linux blkid(8)).
const BLKID_FAILURES: Record<number, string> = { 4: 'usage or I/O error', 8: 'ambivalent result: more than one signature' };

/** The lines `pattern` reads as key (group 1) and value (group 2). */
function keyValues(lines: string[], pattern: RegExp): Record<string, string> {
  return Object.fromEntries(
    lines.flatMap((l) => {
      const m = pattern.exec(l);
      return m ? [[m[1], m[2]]] : [];
    }),
  );
}

/** Parses the probe's output: a line `missing`, or `rc=N` followed by blkid -o export lines. */
export function parseDeviceProbe(text: string): DeviceContent {
  const [first, ...rest] = text.split('\n');
  if (first === 'missing') return { exists: false };
  const rc = Number(/^rc=(\d+)$/.exec(first)?.[1] ?? NaN);
  const fields = keyValues(rest, /^([A-Z_]+)=(.*)$/);
  const sizes = keyValues(rest, /^@(\w+)=(.*)$/);
  const output = rest
    .filter((l) => !l.startsWith('@'))
    .join('\n')
    .trim();
  const content: DeviceContent = { exists: true, blkidRc: rc, type: fields.TYPE, output };
  if (sizes.device) content.deviceBytes = Number(sizes.device);
  if (sizes.fs) content.filesystemBytes = filesystemBytes(sizes.fs);
  if (sizes.mount) content.mountpoint = sizes.mount;
  return content;
}

/** The size in a filesystem tool's lines: dumpe2fs's block count and size, or xfs_info's data section. */
function filesystemBytes(report: string): number | undefined {
  const ext = /Block count:\s+(\d+).*Block size:\s+(\d+)/.exec(report);
  if (ext) return Number(ext[1]) * Number(ext[2]);
  const xfs = /data\s+=\s+bsize=(\d+)\s+blocks=(\d+)/.exec(report);
  return xfs ? Number(xfs[1]) * Number(xfs[2]) : undefined;
}

/** Below this much room a resize is not worth it (and resize2fs may leave a partial group). */
const GROW_THRESHOLD = 4 * 1024 * 1024;
const mib = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`;

/** The sizes probe: one @key=value line each. */
function sizesScript(args: FilesystemArgs): string {
  const d = quotePath(args.dev);
  const report =
    args.fstype === 'xfs'
      ? `xfs_info ${d} 2>/dev/null | grep -o 'data *= *bsize=[0-9]* *blocks=[0-9]*'`
      : `dumpe2fs -h ${d} 2>/dev/null | grep -E '^Block (count|size):'`;
  return [
    `if [ -b ${d} ]; then echo "@device=$(blockdev --getsize64 ${d})"; else echo "@device=$(stat -c %s ${d})"; fi`,
    `echo "@fs=$(${report} | tr '\\n' ' ')"`,
    `echo "@mount=$(findmnt -n -o TARGET --source ${d} 2>/dev/null | head -n 1)"`,
  ].join('\n');
}

function growArgv(args: FilesystemArgs, found: DeviceContent): string[] {
  if (args.fstype === 'xfs') {
    if (!found.mountpoint) throw new ModuleError(`xfs on ${args.dev} grows only while mounted (xfs_growfs), and it is not mounted`);
    return ['xfs_growfs', found.mountpoint];
  }
  if (!/^ext[234]$/.test(args.fstype)) throw new ModuleError(`resizefs: cannot grow ${args.fstype} (ext2/3/4 and xfs only)`);
  return ['resize2fs', args.dev];
}

function mkfsArgv(args: FilesystemArgs): string[] {
  if (!/^[a-z0-9]+$/.test(args.fstype)) throw new ModuleError(`fstype '${args.fstype}' is not a filesystem type (mkfs.<fstype> must exist)`);
  const force = args.force ? (args.fstype === 'xfs' ? ['-f'] : ['-F']) : [];
  return [`mkfs.${args.fstype}`, ...force, ...shlexSplit(args.opts ?? ''), '--', args.dev];
}

/** resizefs on a filesystem of the declared type: grow it when the device has room for it. */
function grow(args: FilesystemArgs, found: DeviceContent) {
  const { deviceBytes, filesystemBytes: fsBytes } = found;
  if (!deviceBytes || !fsBytes) return { changed: false, failed: true, msg: `cannot tell the sizes of ${args.dev} and its ${args.fstype} (resizefs)` };
  if (deviceBytes - fsBytes < GROW_THRESHOLD)
    return { changed: false, msg: `${args.fstype} on ${args.dev} already fills the device (${mib(fsBytes)} of ${mib(deviceBytes)})` };
  const line = (bytes: number) => `${args.dev}: ${args.fstype}, ${mib(bytes)}\n`;
  return {
    changed: true,
    msg: `${args.fstype} on ${args.dev} would grow from ${mib(fsBytes)} to ${mib(deviceBytes)}${found.mountpoint ? ` (mounted on ${found.mountpoint}: online)` : ''}`,
    diff: [{ before: line(fsBytes), after: line(deviceBytes), beforeHeader: 'filesystem', afterHeader: 'filesystem' }],
    steps: [argvStep(growArgv(args, found))],
  };
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
      resizefs: {
        type: 'boolean',
        description:
          'Grow a filesystem of this type into the whole device when the device is bigger (ext2/3/4: resize2fs, online when mounted; xfs: xfs_growfs, mounted only).',
      },
    },
    required: ['fstype', 'dev'],
    additionalProperties: false,
  },
  probe(args) {
    const d = quotePath(args.dev);
    const blkid = `if [ ! -e ${d} ]; then echo missing; exit 0; fi\nout=$(blkid -p -o export ${d} 2>&1); echo "rc=$?"; printf '%s\\n' "$out"`;
    const script = args.resizefs ? `${blkid}\n${sizesScript(args)}` : blkid;
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
      if (found.type === args.fstype) return args.resizefs ? grow(args, found) : { changed: false, msg: `${dev} already holds ${args.fstype}` };
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
