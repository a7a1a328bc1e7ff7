// unarchive: a tar (plain, gzip, bzip2, xz, zstd) or zip archive unpacked into a directory of the
// host, as Ansible's unarchive: the archive is the controller's file (sent on stdin), or with
// remote_src the host's own, or a URL the host downloads. Changed only when what the archive holds
// differs from dest: tar --diff judges a tar (by Ansible's rules), a zip is compared file by file.
import { readFileSync } from 'node:fs';
import { quote, quotePath } from '../connection/quote';
import { type Module, ModuleError, type Outcome, Query, type RunStep } from './types';
import { isSymbolicMode } from './util/attrs';
import { checkName } from './util/names';
import { taggedValue } from './util/remote';
import { listArg } from './util/list-arg';

interface UnarchiveArgs {
  src: string;
  dest: string;
  remote_src?: boolean;
  /** The old inverse of remote_src. */
  copy?: boolean;
  creates?: string;
  list_files?: boolean;
  keep_newer?: boolean;
  exclude?: string[] | string;
  include?: string[] | string;
  extra_opts?: string[] | string;
  mode?: string | number;
  owner?: string;
  group?: string;
  validate_certs?: boolean;
}

type Kind = 'TgzArchive' | 'TarBzipArchive' | 'TarXzArchive' | 'TarZstdArchive' | 'TarArchive' | 'ZipArchive';

interface UnarchiveFound {
  skip?: string;
  kind: Kind;
  files: string[];
  /** What differs between the archive and dest, one line per difference (empty: already unpacked). */
  differences: string[];
  /** The controller's archive, sent again to unpack it. */
  archive?: Buffer;
}

const list = (value: string[] | string | undefined) => listArg(value).filter((v) => v !== '');
const fromController = (args: UnarchiveArgs) => !args.remote_src && args.copy !== false && !args.src.includes('://');

/** A glob for sh's `case`: every character but * ? [ ] escaped, so it matches and cannot run. */
const casePattern = (glob: string) => glob.replace(/[^*?[\]]/g, (c) => `\\${c}`);

/** Magic bytes (od's hex) to Ansible's handler name. */
function kindOf(magic: string, zip: boolean): Kind {
  if (zip) return 'ZipArchive';
  if (magic.startsWith('1f8b')) return 'TgzArchive';
  if (magic.startsWith('425a68')) return 'TarBzipArchive';
  if (magic.startsWith('fd377a585a00')) return 'TarXzArchive';
  if (magic.startsWith('28b52ffd')) return 'TarZstdArchive';
  return 'TarArchive';
}

/** The archive as "$a" on the host, its kind, and its entries in "$l", with Ansible's failures. */
function prelude(args: UnarchiveArgs): string[] {
  const src = quote(args.src);
  const dest = quotePath(args.dest);
  const fail = (msg: string) => `{ printf '%s\\n' ${quote(msg)} >&2; exit 2; }`;
  const source = fromController(args)
    ? ['a=$(mktemp) || exit 1', 'cat > "$a"']
    : args.src.includes('://')
      ? [
          'a=$(mktemp) || exit 1',
          'command -v curl >/dev/null 2>&1 || { echo "curl is not installed on the host: it downloads the archive" >&2; exit 2; }',
          `curl -fsSL --max-time 60${args.validate_certs === false ? ' -k' : ''} -o "$a" -- ${src} || ${fail(`Failure downloading ${args.src}`)}`,
        ]
      : [
          `[ -e ${quotePath(args.src)} ] || ${fail(`Source '${args.src}' does not exist`)}`,
          `[ -r ${quotePath(args.src)} ] || ${fail(`Source '${args.src}' not readable`)}`,
          `a=${quotePath(args.src)}`,
        ];
  const own = fromController(args) || args.src.includes('://');
  return [
    'l=$(mktemp) || exit 1',
    `trap 'rm -f "$l"${own ? ' "$a"' : ''}' EXIT`,
    ...source,
    `[ -s "$a" ] || ${fail(`Invalid archive '${args.src}', the file is 0 bytes`)}`,
    `[ -d ${dest} ] || ${fail(`Destination '${args.dest}' is not a directory`)}`,
    `printf 'magic %s\\n' "$(head -c 6 "$a" | od -An -tx1 | tr -d ' \\n')"`,
    'if command -v unzip >/dev/null 2>&1 && unzip -Z1 "$a" > "$l" 2>/dev/null; then kind=zip',
    'elif LC_ALL=C tar -tf "$a" > "$l" 2>/dev/null; then kind=tar',
    // Ansible's message, with each handler's reason for refusing the archive.
    `else printf '%s\\n' ${quote(`Failed to find handler for "${args.src}". Make sure the required command to extract the file is installed.`)} >&2`,
    `  command -v unzip >/dev/null 2>&1 || echo "Unable to find required 'unzip' binary in the path." >&2`,
    `  printf 'Command "tar" could not handle archive: Unable to list files in the archive: %s\\n' "$(LC_ALL=C tar -tf "$a" 2>&1 | head -c 300)" >&2; exit 2; fi`,
    'echo "kind $kind"',
  ];
}

/** The entries that take part: include's (when given), less exclude's, as a `case` filter on "$n". */
function entryFilter(args: UnarchiveArgs): string {
  const include = list(args.include).map(casePattern);
  const exclude = list(args.exclude).map(casePattern);
  return [
    ...(include.length ? [`case "$n" in ${include.join('|')}) ;; *) continue ;; esac`] : []),
    ...(exclude.length ? [`case "$n" in ${exclude.join('|')}) continue ;; esac`] : []),
  ].join('; ');
}

function tarOptions(args: UnarchiveArgs): string {
  return [
    ...(args.owner ? [`--owner=${quote(checkName(args.owner, 'owner'))}`] : []),
    ...(args.group ? [`--group=${quote(checkName(args.group, 'group'))}`] : []),
    ...(args.keep_newer ? ['--keep-newer-files'] : []),
    ...list(args.exclude).map((p) => quote(`--exclude=${p}`)),
    ...list(args.extra_opts).map(quote),
  ].join(' ');
}

/** What the probe prints after the prelude: the entries (filtered) and the differences with dest. */
function compareScript(args: UnarchiveArgs): string[] {
  const dest = quotePath(args.dest);
  const includes = list(args.include).map(quote).join(' ');
  const filter = entryFilter(args);
  return [
    `printf 'files '; while IFS= read -r n; do ${filter ? `${filter}; ` : ''}printf '%s\\n' "$n"; done < "$l" | base64 -w0; echo`,
    'echo "uid $(id -u)"',
    'if [ "$kind" = tar ]; then',
    `  printf 'diff '; LC_ALL=C tar --diff -C ${dest} ${tarOptions(args)} -f "$a" ${includes} 2>&1 | base64 -w0; echo`,
    'else',
    `  printf 'diff '; while IFS= read -r n; do ${filter ? `${filter}; ` : ''}case "$n" in`,
    `    */) [ -d ${dest}/"$n" ] || printf '%s: Warning: Cannot stat: No such file or directory\\n' "$n" ;;`,
    `    *) if [ ! -e ${dest}/"$n" ] && [ ! -L ${dest}/"$n" ]; then printf '%s: Warning: Cannot stat: No such file or directory\\n' "$n"`,
    `       elif ! unzip -p "$a" "$(printf '%s' "$n" | sed 's/[][*?\\\\]/\\\\&/g')" | cmp -s - ${dest}/"$n"; then printf '%s: Contents differ\\n' "$n"; fi ;;`,
    '  esac; done < "$l" | base64 -w0; echo',
    'fi',
  ];
}

/** Ansible's rules for tar --diff lines, plus content and size: what makes the archive not unpacked. */
function counts(line: string, args: UnarchiveArgs, root: boolean): boolean {
  if (/: : Warning: Cannot stat: No such file or directory$/.test(line)) return false;
  if (/: Uid differs$/.test(line)) return root && !args.owner;
  if (/: Gid differs$/.test(line)) return root && !args.group;
  if (/: Mode differs$/.test(line)) return args.mode === undefined;
  return /: (?:Mod time differs|Warning: Cannot stat: No such file or directory|Invalid owner|Invalid group|Contents differ|Size differs)$/.test(line);
}

function parseProbe(stdout: string, args: UnarchiveArgs): UnarchiveFound {
  const field = (tag: string) => taggedValue(stdout, tag) ?? '';
  const lines = (tag: string) => Buffer.from(field(tag), 'base64').toString('utf8').split('\n').filter(Boolean);
  const root = field('uid') === '0';
  return {
    kind: kindOf(field('magic'), field('kind') === 'zip'),
    files: lines('files'),
    differences: lines('diff').filter((line) => counts(line, args, root)),
  };
}

/** mode as chmod takes it: octal, or symbolic (u+rwX,g-w) as Ansible's file arguments allow. */
function chmodMode(mode: string | number | undefined): string | undefined {
  if (mode === undefined) return undefined;
  const text = typeof mode === 'number' ? mode.toString(8).padStart(4, '0') : mode;
  if (!/^[0-7]{3,4}$/.test(text) && !isSymbolicMode(text))
    throw new ModuleError(`mode '${mode}' is not an octal mode like '0644' or a symbolic one like 'u+rwX,g-w'`);
  return text;
}

/** Sets mode/owner/group on each entry; prints `changed` when any was different. */
function attributesScript(args: UnarchiveArgs): string[] {
  const mode = chmodMode(args.mode);
  if (!mode && !args.owner && !args.group) return [];
  const dest = quotePath(args.dest);
  const set = [
    ...(mode ? [`chmod ${quote(mode)} "$p"`] : []),
    ...(args.owner ? [`chown -h ${quote(checkName(args.owner, 'owner'))} "$p"`] : []),
    ...(args.group ? [`chgrp -h ${quote(checkName(args.group, 'group'))} "$p"`] : []),
  ].join(' && ');
  const filter = entryFilter(args);
  return [
    `while IFS= read -r n; do ${filter ? `${filter}; ` : ''}p=${dest}/"$n"; [ -e "$p" ] || continue`,
    `  was=$(stat -c '%a %U %G' "$p"); ${set} || exit 1; [ "$was" = "$(stat -c '%a %U %G' "$p")" ] || echo changed`,
    'done < "$l" | sort -u',
  ];
}

function extractScript(args: UnarchiveArgs): string[] {
  const dest = quotePath(args.dest);
  const includes = list(args.include).map(quote).join(' ');
  const excludes = list(args.exclude).map(quote).join(' ');
  const zip = `unzip -o ${list(args.extra_opts).map(quote).join(' ')} "$a" ${includes}${excludes ? ` -x ${excludes}` : ''} -d ${dest}`;
  const tar = `LC_ALL=C tar --extract -C ${dest} ${tarOptions(args)} -f "$a" ${includes}`;
  return [`if [ "$kind" = zip ]; then out=$(${zip} 2>&1); else out=$(${tar} 2>&1); fi; rc=$?`, `[ "$rc" = 0 ] || { printf '%s\\n' "$out" >&2; exit 3; }`];
}

function step(args: UnarchiveArgs, archive: Buffer | undefined, extract: boolean): RunStep {
  const script = [...prelude(args), ...(extract ? [...extractScript(args), 'echo extracted'] : []), ...attributesScript(args)].join('\n');
  return {
    kind: 'run',
    script,
    stdin: archive,
    what: `unpacking ${args.src} into ${args.dest}`,
    result: (res) => {
      if (res.rc === 3) return { failed: true, msg: `failed to unpack ${args.src} to ${args.dest}`, extract_results: { rc: 1, err: res.stderr } };
      if (res.rc !== 0) return { failed: true, msg: res.stderr.trim() };
      const changed = extract || res.stdout.split('\n').includes('changed');
      return { changed, ...(extract ? { extract_results: { rc: 0, out: '', err: '' } } : {}) };
    },
  };
}

function planUnarchive(args: UnarchiveArgs, found: UnarchiveFound): Outcome {
  if (found.skip) return { changed: false, msg: found.skip, result: { skipped: true } };
  if (args.include !== undefined && args.exclude !== undefined)
    return { changed: false, failed: true, msg: 'parameters are mutually exclusive: include|exclude' };
  const result = { dest: args.dest, src: args.src, handler: found.kind, ...(args.list_files ? { files: found.files } : {}) };
  const unpacked = found.differences.length === 0;
  const attributes = args.mode !== undefined || args.owner !== undefined || args.group !== undefined;
  if (unpacked && !attributes) return { changed: false, msg: `${args.src} is already unpacked in ${args.dest}`, result };
  const diff = unpacked
    ? undefined
    : [{ before: '', after: `${found.differences.join('\n')}\n`, beforeHeader: args.dest, afterHeader: `${args.src} (what differs)` }];
  return {
    changed: !unpacked,
    msg: unpacked
      ? `${args.src} is already unpacked in ${args.dest}; its attributes are set`
      : `${found.differences.length} difference(s): ${args.src} is unpacked into ${args.dest}`,
    result,
    diff,
    steps: [step(args, found.archive, !unpacked)],
  };
}

export const unarchive: Module<UnarchiveArgs, UnarchiveFound> = {
  name: 'unarchive',
  freeForm: 'kv',
  schema: {
    type: 'object',
    description: 'Unpacks a tar (gz, bz2, xz, zst) or zip archive into a directory of the host, when what it holds differs from what is there.',
    properties: {
      src: { type: 'string', description: "The archive: the controller's (role files/), with remote_src the host's, or a URL the host downloads." },
      dest: { type: 'string', description: 'An existing directory on the host.' },
      remote_src: { type: 'boolean', description: 'src is on the host (default false).' },
      copy: { type: 'boolean', description: 'Old name: copy false is remote_src true.' },
      creates: { type: 'string', description: 'Skipped when this path exists on the host.' },
      list_files: { type: 'boolean', description: "Register the archive's entries as files." },
      keep_newer: { type: 'boolean', description: 'Do not replace files newer than the archive (tar).' },
      exclude: { type: ['array', 'string'], items: { type: 'string' }, description: 'Entries (globs) left out.' },
      include: { type: ['array', 'string'], items: { type: 'string' }, description: 'Only these entries (not with exclude).' },
      extra_opts: { type: ['array', 'string'], items: { type: 'string' }, description: 'More options for tar or unzip.' },
      mode: { type: ['string', 'integer'], description: "Each entry's mode: octal or symbolic (u+rwX,g-w)." },
      owner: { type: 'string', description: "Each entry's owner." },
      group: { type: 'string', description: "Each entry's group." },
      validate_certs: { type: 'boolean', description: "Check a URL src's certificate (default true)." },
    },
    required: ['src', 'dest'],
    additionalProperties: false,
  },
  async prepare(args, ctx) {
    return fromController(args) ? readFileSync(ctx.findLocal('files', args.src)) : undefined;
  },
  probe(args, ctx) {
    const archive = ctx.prepared as Buffer | undefined;
    const look = new Query(
      [...prelude(args), ...compareScript(args)].join('\n'),
      (res) => {
        if (res.rc !== 0) throw new ModuleError(res.stderr.trim() || `looking at ${args.src} failed (rc=${res.rc})`);
        return { ...parseProbe(res.stdout, args), archive };
      },
      { stdin: archive, anyStatus: true, live: true, what: `comparing ${args.src} with ${args.dest}` },
    );
    if (args.creates === undefined) return look;
    return new Query<UnarchiveFound>(`[ -e ${quotePath(args.creates)} ] && echo yes || echo no`, (res) =>
      res.stdout.trim() === 'yes' ? { skip: `skipped, since ${args.creates} exists`, kind: 'TarArchive', files: [], differences: [] } : look,
    );
  },
  plan: planUnarchive,
};
