// modprobe (community.general's): a kernel module loaded or unloaded now and, with persistent,
// at boot (its name in /etc/modules-load.d, its parameters as `options` lines in /etc/modprobe.d).
// Persistent absent comments the lines out, as community.general's does, rather than deleting them.
import { quote } from '../connection/quote';
import { shlexSplit } from '../connection/shlex';
import { type Diff, type Module, ModuleError, type Outcome, Query, type Step } from './types';
import { runStep, writeStep } from './util/steps';
import { checkName } from './util/names';

interface ModprobeArgs {
  name: string;
  state?: 'present' | 'absent';
  params?: string;
  persistent?: 'disabled' | 'present' | 'absent';
}

interface ConfigFile {
  path: string;
  text: string;
}

interface ModprobeFound {
  /** In /proc/modules, or built into the kernel (modules.builtin). */
  loaded: boolean;
  /** `modprobe -n` for a module not loaded that is to be: its failure is the task's, check mode too. */
  dryRun?: { rc: number; stderr: string };
  loadFiles: ConfigFile[];
  optionFiles: ConfigFile[];
}

const LOAD_DIR = '/etc/modules-load.d';
const OPTIONS_DIR = '/etc/modprobe.d';

/** A kernel module's name: letters, digits, _ and - (which the kernel reads as _). No regexp or shell meaning. */
function moduleName(name: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(checkName(name, 'kernel module name'))) throw new ModuleError(`invalid kernel module name '${name}'`);
  return name;
}
/** A modules-load.d line naming the module (comments after it allowed). */
const namesModule = (name: string) => new RegExp(`^ *${name} *(?:[#;].*)?$`);
/** A modprobe.d `options <name> key=value` line; group 1 is key=value. */
const optionOf = (name: string) => new RegExp(`^options ${name} (\\w+=\\S+) *(?:[#;].*)?$`);

/** Every regular file of the two directories, base64 after its path: one per line pair. */
function filesScript(dir: string, tag: string): string {
  return `for f in ${dir}/*; do [ -f "$f" ] && [ -r "$f" ] && printf '${tag} %s\\n' "$f" && base64 -w0 < "$f" && echo; done`;
}

function probeScript(args: ModprobeArgs): string {
  const name = moduleName(args.name);
  const loaded = [
    `if grep -q -- '^${name.replace(/-/g, '_')} ' /proc/modules 2>/dev/null ||`,
    `  grep -q -- '/${name}\\.ko$' "/lib/modules/$(uname -r)/modules.builtin" 2>/dev/null; then echo loaded yes`,
    `else echo loaded no`,
  ];
  if (args.state !== 'absent') {
    const argv = ['modprobe', '-n', '--', name, ...shlexSplit(args.params ?? '')].map(quote).join(' ');
    loaded.push(`  err=$(${argv} 2>&1 >/dev/null); echo "dryrun $?"; printf '%s' "$err" | base64 -w0; echo`);
  }
  return [...loaded, 'fi', filesScript(LOAD_DIR, 'load'), filesScript(OPTIONS_DIR, 'options'), 'true'].join('\n');
}

/** Pure: what the probe printed. */
function parseModprobe(stdout: string): ModprobeFound {
  const lines = stdout.split('\n');
  const found: ModprobeFound = { loaded: false, loadFiles: [], optionFiles: [] };
  for (let i = 0; i < lines.length; i++) {
    const [tag, ...rest] = lines[i].split(' ');
    const value = rest.join(' ');
    if (tag === 'loaded') found.loaded = value === 'yes';
    else if (tag === 'dryrun') found.dryRun = { rc: Number(value), stderr: Buffer.from(lines[++i] ?? '', 'base64').toString('utf8') };
    else if (tag === 'load' || tag === 'options') {
      const file = { path: value, text: Buffer.from(lines[++i] ?? '', 'base64').toString('utf8') };
      (tag === 'load' ? found.loadFiles : found.optionFiles).push(file);
    }
  }
  return found;
}

/** Each matching line commented out: the files that change, with their new text. */
function commentOut(files: ConfigFile[], matches: RegExp): ConfigFile[] {
  return files.flatMap((file) => {
    const lines = file.text.split('\n');
    const edited = lines.map((line) => (matches.test(line) ? `#${line}` : line));
    return edited.some((line, i) => line !== lines[i]) ? [{ path: file.path, text: edited.join('\n') }] : [];
  });
}

function persistedParams(args: ModprobeArgs, found: ModprobeFound): Set<string> {
  const option = optionOf(args.name);
  return new Set(found.optionFiles.flatMap((f) => f.text.split('\n').flatMap((line) => option.exec(line)?.[1] ?? [])));
}

/** The file writes that make the boot-time configuration what `persistent` asks. */
function persistenceWrites(args: ModprobeArgs, found: ModprobeFound): ConfigFile[] {
  const listed = found.loadFiles.some((f) => f.text.split('\n').some((line) => namesModule(args.name).test(line)));
  const have = persistedParams(args, found);
  const want = (args.params ?? '').split(/\s+/).filter(Boolean);
  const paramsSet = have.size === new Set(want).size && want.every((p) => have.has(p));
  if (args.persistent === 'present') {
    const writes: ConfigFile[] = [];
    if (!listed) writes.push({ path: `${LOAD_DIR}/${args.name}.conf`, text: `${args.name}\n` });
    if (!paramsSet) {
      const own = `${OPTIONS_DIR}/${args.name}.conf`;
      writes.push(...commentOut(found.optionFiles, optionOf(args.name)).filter((f) => f.path !== own));
      writes.push({ path: own, text: want.map((p) => `options ${args.name} ${p}\n`).join('') });
    }
    return writes;
  }
  if (args.persistent === 'absent') return [...commentOut(found.loadFiles, namesModule(args.name)), ...commentOut(found.optionFiles, optionOf(args.name))];
  return [];
}

function planModprobe(args: ModprobeArgs, found: ModprobeFound): Outcome {
  const state = args.state ?? 'present';
  const result = { name: args.name, params: args.params ?? '', state };
  const steps: Step[] = [];
  const said: string[] = [];
  if (state === 'present' && !found.loaded) {
    if (found.dryRun && found.dryRun.rc !== 0)
      return { changed: false, failed: true, msg: found.dryRun.stderr.trim(), result: { ...result, rc: found.dryRun.rc } };
    steps.push(runStep(['modprobe', '--', args.name, ...shlexSplit(args.params ?? '')].map(quote).join(' '), `loading ${args.name}`));
    said.push(`${args.name} loaded`);
  } else if (state === 'absent' && found.loaded) {
    steps.push(runStep(`modprobe -r -- ${quote(args.name)}`, `unloading ${args.name}`));
    said.push(`${args.name} unloaded`);
  }
  const before = new Map([...found.loadFiles, ...found.optionFiles].map((f) => [f.path, f.text]));
  const writes = persistenceWrites(args, found);
  const diff: Diff[] = writes.map((w) => ({ before: before.get(w.path) ?? '', after: w.text, beforeHeader: w.path, afterHeader: w.path }));
  steps.push(...writes.map((w) => writeStep(w.path, Buffer.from(w.text), { makeParents: true })));
  if (writes.length) said.push(`boot-time configuration: ${writes.map((w) => w.path).join(', ')}`);
  if (!steps.length) return { changed: false, msg: `${args.name} already ${state}`, result };
  return { changed: true, msg: said.join('; '), diff, steps, result };
}

export const modprobe: Module<ModprobeArgs, ModprobeFound> = {
  name: 'modprobe',
  freeForm: 'kv',
  schema: {
    type: 'object',
    description: 'Loads or unloads a kernel module, and with persistent makes that hold at boot (community.general.modprobe).',
    properties: {
      name: { type: 'string', description: 'The kernel module.' },
      state: { enum: ['present', 'absent'], description: 'Loaded or not (default present).' },
      params: { type: 'string', description: "Its parameters, 'key=value ...' (default none)." },
      persistent: {
        enum: ['disabled', 'present', 'absent'],
        description:
          'present: listed in /etc/modules-load.d/<name>.conf, params in /etc/modprobe.d/<name>.conf; absent: those lines commented out; disabled (default): left alone.',
      },
    },
    required: ['name'],
    additionalProperties: false,
  },
  probe: (args) => new Query(probeScript(args), (res) => parseModprobe(res.stdout)),
  plan: planModprobe,
};
