// A seeded corpus of mutated inputs (the same seed gives the same mutants) and the fuzz run over
// it: each mutant loaded the way a run loads it, its outcome counted. Used by the fuzz test and
// by bench/trust.ts.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../../engine/core/cli';
import { InputError } from '../../engine/core/errors';
import { loadInventory } from '../../engine/core/load/inventory';
import { loadPlaybook } from '../../engine/core/load/playbook';
import { encryptVault, setVaultPassword } from '../../engine/core/load/vault';
import { loadYamlFile } from '../../engine/core/load/yaml';
import { validateAgainstModeline } from '../../engine/core/load/validate';

const ROOT = resolve(__dirname, '../..');

type Outcome = 'loaded' | 'error with position' | 'error without position' | 'stack trace';

interface Mutant {
  kind: string;
  text: string;
  flags: string[];
}

/** mulberry32: small, fast and good enough to pick mutations reproducibly. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PLAYBOOK = `- name: web
  hosts: all:!b
  gather_facts: false
  vars:
    port: 8080
    items: [a, b]
  tasks:
    - name: write
      copy: { content: "x={{ port }}\\n", dest: /tmp/x }
      when: port | int > 1
      notify: done
    - debug: { msg: "{{ item }}" }
      loop: "{{ items }}"
      loop_control: { label: "{{ item }}" }
    - block:
        - command: /bin/true
          register: r
          changed_when: false
      rescue:
        - fail: { msg: it failed }
    - lineinfile: { path: /tmp/x, regexp: "^x=", line: "x=1" }
      tags: [edit]
  handlers:
    - name: done
      debug: { msg: done }
`;

const TASKS = `- name: a package
  apt: { name: [curl, jq], state: present }
- name: a file
  file: { path: /etc/app, state: directory, mode: "0755" }
- template: { src: app.conf.j2, dest: /etc/app/app.conf }
  become: true
- service: { name: app, state: started, enabled: true }
  retries: 3
  delay: 1
  until: result is succeeded
  register: result
`;

const INVENTORY = `all:
  vars:
    ntp: pool.example
  hosts:
    a: { ansible_host: 10.0.0.1, ansible_port: 2222 }
    b:
  children:
    web:
      hosts:
        a:
      vars: { role: web }
    db:
      children:
        web:
`;

const VARS = readFileSync(resolve(__dirname, '../../inventory/lab-vars.yml'), 'utf8')
  .split('\n')
  .filter((l) => !l.startsWith('#'))
  .join('\n');

const TOKENS = [
  ':',
  ': ',
  '{',
  '}',
  '[',
  ']',
  '-',
  '- ',
  '"',
  "'",
  '\n',
  '  ',
  '\t',
  '*',
  '&',
  '!',
  '|',
  '>',
  '#',
  '{{',
  '}}',
  '{%',
  '~[',
  '(',
  '%',
  '@',
  '`',
  '\\',
  '\u0000',
  '?',
  ',',
  'yes',
  'null',
  '0777',
];
const VALUES = [
  '{{',
  '{{ undefined_x }}',
  '~[',
  '"("',
  '*nope',
  '&a [*a, *a]',
  '!vault |\n  garbage',
  '-1',
  'null',
  '[]',
  '{}',
  '"{{ lookup(\'nope\') }}"',
  "'{% if %}'",
  '1e999',
  '"\\u0000"',
  'web1:2222',
  '!!binary AAA',
];
const ALIAS_BOMB =
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n';

function mutate(text: string, rnd: () => number): string {
  const pick = <T>(list: T[]) => list[Math.floor(rnd() * list.length)];
  const at = Math.floor(rnd() * (text.length + 1));
  const lines = text.split('\n');
  const line = Math.floor(rnd() * lines.length);
  switch (Math.floor(rnd() * 8)) {
    case 0:
      return text.slice(0, at) + text.slice(at + 1 + Math.floor(rnd() * 12));
    case 1:
      return text.slice(0, at) + pick(TOKENS) + text.slice(at);
    case 2:
      lines.splice(line, 0, lines[line]);
      return lines.join('\n');
    case 3:
      lines[line] = (rnd() < 0.5 ? ' ' : '') + lines[line].replace(/^ /, rnd() < 0.5 ? '' : '   ');
      return lines.join('\n');
    case 4:
      lines[line] = lines[line].replace(/:\s+(.+)$/, `: ${pick(VALUES)}`);
      return lines.join('\n');
    case 5:
      return text.slice(0, at);
    case 6: {
      const other = Math.floor(rnd() * lines.length);
      [lines[line], lines[other]] = [lines[other], lines[line]];
      return lines.join('\n');
    }
    default:
      return rnd() < 0.5
        ? ALIAS_BOMB + text
        : text.replace(/^(\s*)(\w+):/m, `$1${pick(['when', 'loop', 'hosts', 'tasks', 'become', 'vars', 'serial', 'copyy', 'with_items'])}:`);
  }
}

function mutateVault(text: string, rnd: () => number): string {
  const lines = text.split('\n');
  const choice = Math.floor(rnd() * 5);
  if (choice === 0) lines[0] = ['$ANSIBLE_VAULT;9.9;AES256', '$ANSIBLE_VAULT;1.1;AES128', '$ANSIBLE_VAULT', '$ANSIBLE_VAULT;1.1'][Math.floor(rnd() * 4)];
  else if (choice === 1) lines[1 + Math.floor(rnd() * (lines.length - 2))] = `zz${'g'.repeat(Math.floor(rnd() * 70))}`;
  else if (choice === 2) return lines.slice(0, 1 + Math.floor(rnd() * (lines.length - 1))).join('\n');
  else if (choice === 3) return text.replace(/\n/g, '\r\n');
  else lines.splice(1, 1);
  return lines.join('\n');
}

function cliFlags(rnd: () => number, files: { passwordScript: string; passwordFile: string }): string[] {
  const options: string[][] = [
    ['--limit', '~['],
    ['--limit', 'a:!b'],
    ['--limit', 'web:&a'],
    ['--limit', 'nope'],
    ['--limit', ''],
    ['--forks', 'zero'],
    ['--forks', '-1'],
    ['--forks', '2'],
    ['-e', '{bad json'],
    ['-e', '@/nonexistent.yml'],
    ['-e', 'k=v'],
    ['-e', 'novalue'],
    ['-e', '{"a": 1}'],
    ['-e', 'a="unterminated'],
    ['--tags', ''],
    ['--tags', 'a,,b'],
    ['--skip-tags', 'x'],
    ['--role', 'missing'],
    ['--vault-password-file', files.passwordScript],
    ['--vault-password-file', files.passwordFile],
    ['--vault-password-file', '/nonexistent'],
    ['--unknown-flag'],
    ['-x'],
    ['--check', '--diff'],
    ['-v', '-v', '-v'],
    ['--json'],
    ['extra-positional'],
  ];
  const n = 1 + Math.floor(rnd() * 3);
  return Array.from({ length: n }, () => options[Math.floor(rnd() * options.length)]).flat();
}

/** The unmutated inputs: each must load cleanly, or the mutants prove little. */
function fuzzBases(vaultText: string): Mutant[] {
  return [
    ...Object.entries(BASES).map(([kind, text]) => ({ kind, text, flags: [] })),
    { kind: 'vault', text: vaultText, flags: [] },
    { kind: 'cli', text: '', flags: ['--check'] },
  ];
}

const BASES: Record<string, string> = { playbook: PLAYBOOK, tasks: TASKS, inventory: INVENTORY, vars: VARS };

function fuzzCorpus(seed: number, perKind: number, files: { vaultText: string; passwordScript: string; passwordFile: string }): Mutant[] {
  const rnd = random(seed);
  const out: Mutant[] = [];
  const bases = BASES;
  for (const [kind, base] of Object.entries(bases)) {
    for (let i = 0; i < perKind; i++) {
      let text = base;
      for (let m = 0, n = 1 + Math.floor(rnd() * 3); m < n; m++) text = mutate(text, rnd);
      out.push({ kind, text, flags: [] });
    }
  }
  for (let i = 0; i < perKind; i++) out.push({ kind: 'vault', text: mutateVault(files.vaultText, rnd), flags: [] });
  for (let i = 0; i < perKind; i++) out.push({ kind: 'cli', text: '', flags: cliFlags(rnd, files) });
  return out;
}

type Kind = 'playbook' | 'tasks' | 'inventory' | 'vars' | 'vault' | 'cli';

/** Loads one mutant the way a run would; returns how it ended. */
async function load(kind: Kind, dir: string, text: string, flags: string[]): Promise<void> {
  const file = join(dir, kind === 'tasks' ? 'roles/r/tasks/main.yml' : `${kind}.yml`);
  switch (kind) {
    case 'playbook':
      writeFileSync(file, text);
      loadPlaybook(file);
      return;
    case 'tasks':
      writeFileSync(file, text);
      loadPlaybook(join(dir, 'uses-role.yml'));
      return;
    case 'inventory':
      writeFileSync(file, text);
      loadInventory(file);
      return;
    case 'vars':
    case 'vault': {
      writeFileSync(file, kind === 'vault' ? text : `# yaml-language-server: $schema=${ROOT}/vars.schema.json\n${text}`);
      const { data, src } = loadYamlFile(file);
      if (kind === 'vars') validateAgainstModeline(data, src, file);
      return;
    }
    case 'cli': {
      const code = await quiet(() => main(['validate', join(dir, 'good.yml'), '-i', join(dir, 'good-inv.yml'), ...flags]));
      if (code !== 0 && code !== 5) throw new Error(`exit ${code}`);
      return;
    }
  }
}

/** Runs the CLI with its output swallowed; what it printed to stderr is kept for the verdict. */
let lastStderr = '';
async function quiet(fn: () => Promise<number>): Promise<number> {
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  lastStderr = '';
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => {
    lastStderr += chunk;
    return true;
  }) as typeof process.stderr.write;
  try {
    return await fn();
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

function verdict(kind: Kind, err: unknown): Outcome {
  if (err === undefined)
    return kind === 'cli' && lastStderr.startsWith('error:') ? (/:\d+:\d+: /.test(lastStderr) ? 'error with position' : 'error without position') : 'loaded';
  if (err instanceof InputError) return err.pos ? 'error with position' : 'error without position';
  return 'stack trace';
}

export interface FuzzReport {
  mutants: number;
  counts: Record<string, Record<Outcome, number>>;
  /** Unmutated inputs that did not load (the corpus would prove little). */
  badBases: string[];
  traces: string[];
  /** Errors without file and line outside the kinds that have none (CLI flags, vault password). */
  withoutPosition: string[];
  /** The slowest mutant, in ms (every one is bounded). */
  slowestMs: number;
}

export async function runFuzz(seed: number, perKind: number): Promise<FuzzReport> {
  const dir = mkdtempSync(join(tmpdir(), 'engine-fuzz-'));
  mkdirSync(join(dir, 'roles/r/tasks'), { recursive: true });
  writeFileSync(join(dir, 'uses-role.yml'), '- hosts: all\n  roles: [r]\n');
  writeFileSync(join(dir, 'good.yml'), '- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: { msg: hi }\n');
  writeFileSync(join(dir, 'good-inv.yml'), 'all:\n  hosts:\n    a: { ansible_host: 127.0.0.1 }\n    b:\n  children:\n    web: { hosts: { a: } }\n');
  const passwordScript = join(dir, 'vault-pass.sh');
  writeFileSync(passwordScript, '#!/bin/sh\nexit 3\n');
  chmodSync(passwordScript, 0o755);
  writeFileSync(join(dir, 'vault-pass.txt'), 'fuzz-pw\r\n');
  setVaultPassword('fuzz-pw');
  const vaultText = encryptVault('vault_secret: s3cret-value\nother: [1, 2]\n', 'fuzz-pw');
  const attempt = async (m: Mutant): Promise<{ outcome: Outcome; err: unknown; ms: number }> => {
    const started = Date.now();
    let err: unknown;
    try {
      await load(m.kind as Kind, dir, m.text, m.flags);
    } catch (e) {
      err = e;
    }
    setVaultPassword('fuzz-pw');
    return { outcome: verdict(m.kind as Kind, err), err, ms: Date.now() - started };
  };
  const report: FuzzReport = { mutants: 0, counts: {}, badBases: [], traces: [], withoutPosition: [], slowestMs: 0 };
  for (const base of fuzzBases(vaultText)) {
    const { outcome, err } = await attempt(base);
    if (outcome !== 'loaded') report.badBases.push(`${base.kind}: ${err instanceof InputError ? err.describe() : String(err ?? lastStderr)}`);
  }
  const corpus = fuzzCorpus(seed, perKind, { vaultText, passwordScript, passwordFile: join(dir, 'vault-pass.txt') });
  report.mutants = corpus.length;
  for (const mutant of corpus) {
    const { outcome, err, ms } = await attempt(mutant);
    report.slowestMs = Math.max(report.slowestMs, ms);
    report.counts[mutant.kind] ??= { loaded: 0, 'error with position': 0, 'error without position': 0, 'stack trace': 0 };
    report.counts[mutant.kind][outcome]++;
    const input = `--- input:\n${mutant.text}${mutant.flags.join(' ')}`;
    if (outcome === 'stack trace') report.traces.push(`${mutant.kind}: ${(err as Error)?.stack?.split('\n').slice(0, 3).join(' | ')}\n${input}`);
    if (outcome === 'error without position' && !['cli', 'vault'].includes(mutant.kind))
      report.withoutPosition.push(`${mutant.kind}: ${err instanceof InputError ? err.describe() : lastStderr}\n${input}`);
  }
  return report;
}
