// Remote file probing and atomic writes, shared by copy, template, lineinfile, blockinfile, file.
import { createHash } from 'node:crypto';
import { quote, quotePath } from '../../connection/quote';
import { type ModuleContext, ModuleError } from '../types';

export interface RemoteStat {
  exists: boolean;
  type?: 'file' | 'directory' | 'link' | 'block' | 'char' | 'other';
  mode?: string;
  owner?: string;
  group?: string;
  size?: number;
  mtime?: number;
  linkTarget?: string;
  sha256?: string;
  content?: Buffer;
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function run(ctx: ModuleContext, command: string, stdin?: string | Buffer) {
  return ctx.conn.run(command, { become: ctx.become, env: ctx.env, stdin });
}

/**
 * Runs and fails the task with the command's stderr when it exits non-zero. A multi-line script
 * is named by `what` (or its first line), not dumped into the message.
 */
export async function mustRun(ctx: ModuleContext, command: string, stdin?: string | Buffer, what?: string) {
  const res = await run(ctx, command, stdin);
  const name = what ?? (command.includes('\n') ? `${command.split('\n')[0]} ...` : command);
  if (res.rc !== 0)
    throw new ModuleError(`${name}: failed (rc=${res.rc}): ${(res.stderr || res.stdout).trim()}`, { rc: res.rc, stderr: res.stderr, stdout: res.stdout });
  return res;
}

/**
 * One round trip: type, mode, owner, group, size, mtime, link target, and on request the
 * sha256 and the content (base64, so binary files survive the text channel).
 */
export async function statRemote(
  ctx: ModuleContext,
  path: string,
  want: { content?: boolean; contentLimit?: number; checksum?: boolean; follow?: boolean } = {},
): Promise<RemoteStat> {
  const p = quotePath(path);
  const test = want.follow ? '' : `if [ -L ${p} ]; then t=link; el`;
  const script = [
    `${test}if [ -d ${p} ]; then t=directory; elif [ -f ${p} ]; then t=file; elif [ -b ${p} ]; then t=block; elif [ -c ${p} ]; then t=char; elif [ -e ${p} ] || [ -L ${p} ]; then t=other; else echo absent; exit 0; fi`,
    `echo "$t $(stat ${want.follow ? '-L ' : ''}-c '%a %U %G %s %Y' ${p})"`,
    `if [ "$t" = link ]; then readlink ${p}; else echo; fi`,
    want.checksum || want.content ? `if [ "$t" = file ]; then sha256sum < ${p} | cut -c1-64; else echo; fi` : 'echo',
    // Content only up to contentLimit bytes: larger files are compared by checksum alone.
    want.content
      ? `if [ "$t" = file ] && [ "$(stat -L -c %s ${p})" -le ${want.contentLimit ?? Number.MAX_SAFE_INTEGER} ]; then base64 -w0 < ${p}; else printf '%s' -; fi`
      : 'true',
  ].join('\n');
  const res = await mustRun(ctx, script);
  const [head, link, sum, content] = res.stdout.split('\n');
  if (head === 'absent') return { exists: false };
  const [type, mode, owner, group, size, mtime] = head.split(' ');
  return {
    exists: true,
    type: type as RemoteStat['type'],
    mode: mode.padStart(4, '0'),
    owner,
    group,
    size: Number(size),
    mtime: Number(mtime),
    linkTarget: link || undefined,
    sha256: sum || undefined,
    content: want.content && type === 'file' && content !== '-' ? Buffer.from(content ?? '', 'base64') : undefined,
  };
}

export interface WriteOptions {
  mode?: string;
  owner?: string;
  group?: string;
  backup?: boolean;
}

/**
 * Writes a file atomically: temp file in the same directory, checksum verified, then rename.
 * A dropped connection or a killed run leaves the old file intact and no partial one.
 */
export async function writeAtomic(ctx: ModuleContext, path: string, content: Buffer, options: WriteOptions = {}): Promise<{ backupFile?: string }> {
  const p = quotePath(path);
  const tempPrefix = `${path.replace(/\/[^/]*$/, '') || '/'}/.${path.split('/').pop()}.engine-`;
  const temp = quotePath(tempPrefix);
  const backupName = `${path}.${new Date().toISOString().replace(/[:.]/g, '-')}~`;
  const script = [
    'set -e',
    // A temp file a killed write left behind (its shell got no chance to clean up) goes first:
    // one run at a time per host (the run lock), so no other write of this path is under way.
    `rm -f -- ${temp}??????`,
    `t=$(mktemp ${quotePath(`${tempPrefix}XXXXXX`)})`,
    `trap 'rm -f "$t"' EXIT`,
    // A dropped connection shows up as SIGPIPE/SIGHUP; exit through the EXIT trap, never mv.
    `trap 'exit 1' HUP INT TERM PIPE`,
    `cat > "$t"`,
    `[ "$(sha256sum < "$t" | cut -c1-64)" = ${sha256(content)} ] || { echo 'upload incomplete, file left unchanged' >&2; exit 3; }`,
    `if [ -e ${p} ]; then chmod --reference=${p} "$t"; chown --reference=${p} "$t" 2>/dev/null || true; else chmod "$(printf '%o' $((0666 & ~$(umask))))" "$t"; fi`,
    options.mode ? `chmod ${quote(options.mode)} "$t"` : '',
    options.owner || options.group ? `chown ${quote(`${options.owner ?? ''}${options.group ? `:${options.group}` : ''}`)} "$t"` : '',
    options.backup ? `if [ -f ${p} ]; then cp -p ${p} ${quotePath(backupName)}; fi` : '',
    `mv -f "$t" ${p}`,
    'trap - EXIT',
  ]
    .filter(Boolean)
    .join('\n');
  await mustRun(ctx, script, content, `writing ${path}`);
  return options.backup ? { backupFile: backupName } : {};
}

export async function readRemoteText(ctx: ModuleContext, path: string): Promise<{ stat: RemoteStat; text: string | undefined }> {
  const stat = await statRemote(ctx, path, { content: true, follow: true });
  if (stat.exists && stat.type !== 'file') throw new ModuleError(`${path} exists but is a ${stat.type}, not a file`);
  return { stat, text: stat.content?.toString('utf8') };
}
