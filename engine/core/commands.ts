// The commands behind the CLI: they load input, build options and call the runner.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Flags } from './command';
import { EXIT, InputError, suggestion } from './errors';
import { ansibleSettings } from './load/ansible-cfg';
import { loadInventoryAsync } from './load/inventory';
import { loadPlaybook } from './load/playbook';
import { parseKeyValue } from './load/tasks';
import type { Playbook, Vars } from './load/types';
import { setVaultPassword } from './load/vault';
import { loadYamlFile } from './load/yaml';
import type { Reporter } from './output/events';
import { checkHandlers } from './plan/check';
import { checkLimit } from './plan/patterns';
import { flatten, selectTasks, startingAt } from './plan/tags';
import type { RunOptions } from './run/state';

function splitList(values: string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

/** -e key=value, -e '{"json": 1}', -e @file.yml; later ones win. */
export function parseExtraVars(specs: string[] | undefined): Vars {
  const vars: Vars = {};
  for (const spec of specs ?? []) {
    if (spec.startsWith('@')) {
      const { data } = loadYamlFile(spec.slice(1));
      if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new InputError(`-e ${spec}: file must hold a mapping`);
      Object.assign(vars, data);
    } else if (spec.trim().startsWith('{')) {
      try {
        Object.assign(vars, JSON.parse(spec));
      } catch (err) {
        throw new InputError(`-e: invalid JSON: ${(err as Error).message}`);
      }
    } else {
      const { kv, rest } = parseKeyValue(spec);
      if (rest.length) throw new InputError(`-e '${spec}': expected key=value, @file or JSON`);
      Object.assign(vars, kv);
    }
  }
  return vars;
}

function readVaultPassword(file: string | undefined): void {
  if (!file) return;
  if (!existsSync(file)) throw new InputError(`--vault-password-file: ${file} not found`);
  let executable = false;
  try {
    accessSync(file, constants.X_OK);
    executable = true;
  } catch {
    executable = false;
  }
  // Like Ansible: an executable password file is a script that prints the password.
  let text: string;
  try {
    text = executable ? execFileSync(resolve(file), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) : readFileSync(file, 'utf8');
  } catch (err) {
    const { status, stderr } = err as { status?: number; stderr?: Buffer | string };
    throw new InputError(`--vault-password-file: ${file} failed (exit ${status ?? '?'})${stderr ? `: ${String(stderr).trim()}` : ''}`);
  }
  // The first line, without its line ending (CRLF as written on Windows, as ansible-vault accepts).
  setVaultPassword(text.split('\n')[0].replace(/\r$/, ''));
}

/** Reads a line from the terminal; with echo off, what is typed never shows (not even before the prompt). */
async function askLine(prompt: string, echo: boolean): Promise<string> {
  process.stdin.setRawMode(true);
  process.stderr.write(prompt);
  return new Promise((resolveLine) => {
    let line = '';
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString()) {
        if (ch === '\r' || ch === '\n') {
          process.stdin.setRawMode(false);
          process.stdin.removeListener('data', onData);
          process.stdin.pause();
          process.stderr.write('\n');
          return resolveLine(line);
        }
        if (ch === '\u0003') process.exit(EXIT.interrupted);
        if (ch === '\u007f') {
          if (echo && line) process.stderr.write('\b \b');
          line = line.slice(0, -1);
        } else {
          if (echo) process.stderr.write(ch);
          line += ch;
        }
      }
    };
    process.stdin.on('data', onData).resume();
  });
}

async function askPassword(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) throw new InputError('-K needs a terminal to ask for the password; set ansible_become_password (vaulted) instead');
  return askLine(prompt, false);
}

/**
 * vars_prompt: each variable a play asks for, unless -e gives it, becomes a play variable. Without
 * a terminal its default is taken; with none, the run stops before anything runs, saying how to give it.
 */
async function answerPrompts(playbook: Playbook, extraVars: Vars): Promise<void> {
  for (const play of playbook.plays) {
    for (const ask of play.varsPrompt) {
      if (ask.name in extraVars) continue;
      if (!process.stdin.isTTY) {
        if (ask.default === undefined)
          throw new InputError(`vars_prompt '${ask.name}' needs a terminal to ask '${ask.prompt}'; give it with -e ${ask.name}=...`, ask.pos, 'vars_prompt');
        play.vars[ask.name] = ask.default;
        continue;
      }
      const shown = ask.default === undefined ? `${ask.prompt}: ` : `${ask.prompt} [${String(ask.default)}]: `;
      for (;;) {
        const answer = (await askLine(shown, !ask.private)) || (ask.default === undefined ? '' : String(ask.default));
        if (ask.confirm && (await askLine(`confirm ${shown}`, !ask.private)) !== answer) {
          process.stderr.write('***** VALUES ENTERED DO NOT MATCH ****\n');
          continue;
        }
        play.vars[ask.name] = answer;
        break;
      }
    }
  }
}

async function load(positionals: string[], flags: Flags) {
  const [file, extra] = positionals;
  if (!file) throw new InputError('missing PLAYBOOK argument');
  if (extra) throw new InputError(`unexpected argument '${extra}'`);
  const settings = ansibleSettings();
  readVaultPassword(flags.string('vault-password-file') ?? settings.vaultPasswordFile);
  const inventory = await loadInventoryAsync(flags.string('inventory') ?? settings.inventory);
  const playbook = loadPlaybook(file);
  playbook.plays.forEach(checkHandlers);
  const limit = flags.string('limit');
  if (limit) checkLimit(inventory, limit);
  return { inventory, playbook };
}

function options(flags: Flags): RunOptions {
  const settings = ansibleSettings();
  const forksFlag = flags.string('forks');
  const forks = forksFlag === undefined ? settings.forks : Number(forksFlag);
  if (forks !== undefined && (!Number.isInteger(forks) || forks < 1)) throw new InputError(`--forks must be a positive integer, got '${forksFlag}'`);
  return {
    remoteUser: settings.remoteUser,
    become: settings.become,
    becomeUser: settings.becomeUser,
    becomeMethod: settings.becomeMethod,
    check: flags.bool('check'),
    diff: flags.bool('diff'),
    limit: flags.string('limit'),
    tags: splitList(flags.list('tags')),
    skipTags: splitList(flags.list('skip-tags')),
    role: flags.string('role'),
    startAtTask: flags.string('start-at-task'),
    extraVars: parseExtraVars(flags.list('extra-vars')),
    forks,
    verbosity: flags.count('verbose'),
    // host_key_checking = False: unknown keys are recorded; a changed key is refused all the same.
    acceptNewHostKeys: flags.bool('accept-new-host-keys') || settings.hostKeyChecking === false,
    confirmed: flags.bool('yes'),
  };
}

async function reporterFor(flags: Flags): Promise<Reporter> {
  if (flags.bool('json')) return new (await import('./output/json')).JsonReporter();
  if (process.stdout.isTTY && !process.env.CI) return new (await import('./output/tty')).TtyReporter();
  return new (await import('./output/plain')).PlainReporter();
}

/** --start-at-task must name a task the run would reach (Ansible only says so after the run). */
function checkStartAt(playbook: Playbook, opts: RunOptions): void {
  const lists = playbook.plays.map((p) => [p.preTasks, p.tasks, p.postTasks].map((l) => selectTasks(l, opts)));
  if (lists.some((l) => startingAt(l, opts.startAtTask!))) return;
  const names = lists.flat(2).flatMap((t) => flatten([t]).map((x) => x.name));
  throw new InputError(`--start-at-task '${opts.startAtTask}' matches no task the run would reach${suggestion(opts.startAtTask!, names)}`);
}

export async function runCommand(positionals: string[], flags: Flags): Promise<number> {
  const { inventory, playbook } = await load(positionals, flags);
  const opts = options(flags);
  if (flags.bool('syntax-check')) {
    process.stdout.write(`\nplaybook: ${positionals[0]}\n`);
    return EXIT.ok;
  }
  if (flags.bool('list-hosts') || flags.bool('list-tasks')) {
    const { listPlaybook } = await import('./plan/listing');
    process.stdout.write(listPlaybook(positionals[0], playbook, inventory, opts, { hosts: flags.bool('list-hosts'), tasks: flags.bool('list-tasks') }));
    return EXIT.ok;
  }
  if (opts.role && !playbook.plays.some((p) => selectTasks(p.tasks, opts).length)) {
    const roles = [...new Set(playbook.plays.flatMap((p) => p.roles.map((r) => r.name)))];
    throw new InputError(`--role ${opts.role}: no play of ${playbook.file} runs that role (roles: ${roles.join(', ') || 'none'})`);
  }
  if (opts.startAtTask !== undefined) checkStartAt(playbook, opts);
  await answerPrompts(playbook, opts.extraVars);
  if (flags.bool('ask-become-pass')) opts.becomePassword = await askPassword('BECOME password: ');
  const { runPlaybook } = await import('./run');
  const summary = await runPlaybook(playbook, inventory, opts, await reporterFor(flags));
  return summary.exitCode;
}

export async function validateCommand(positionals: string[], flags: Flags): Promise<number> {
  const { inventory, playbook } = await load(positionals, flags);
  const extraVars = parseExtraVars(flags.list('extra-vars'));
  // vars_files as a run loads them (named through inventory and extra vars), held to their schemas.
  const { loadVarsFiles } = await import('./plan/vars-files');
  const { Templar } = await import('./load/template/templar');
  const { resolvePattern } = await import('./plan/patterns');
  const context = { templar: new Templar(), inventory, playbookDir: playbook.dir, options: { extraVars } };
  for (const play of playbook.plays) {
    const hosts = resolvePattern(inventory, play.hosts);
    if (hosts.length) loadVarsFiles(context, play, hosts);
  }
  const all = playbook.plays.flatMap((p) => flatten([...p.preTasks, ...p.tasks, ...p.postTasks, ...p.handlers]));
  // Problems that fail their task when it runs (as in Ansible) are problems of the playbook here.
  const { takeArgumentProblems } = await import('./load/validate');
  const problems = new Map<string, InputError>();
  for (const problem of [...takeArgumentProblems(), ...all.flatMap((t) => (t.argsProblem ? [t.argsProblem] : []))]) {
    const where = `${problem.pos?.file}:${problem.pos?.line}:${problem.field}`;
    if (!problems.has(where)) problems.set(where, problem);
  }
  if (problems.size) {
    for (const problem of problems.values()) process.stderr.write(`error: ${problem.describe()}\n`);
    return EXIT.badInput;
  }
  const tasks = all.length;
  process.stdout.write(`${playbook.file}: OK (${playbook.plays.length} play(s), ${tasks} task(s); inventory: ${inventory.hosts.length} host(s))\n`);
  return EXIT.ok;
}

export async function schemaCommand(flags: Flags): Promise<number> {
  const { writeSchemas } = await import('./schema/write');
  if (!flags.bool('write')) throw new InputError('schema: pass --write to regenerate engine/schema/*.schema.json');
  for (const file of writeSchemas()) process.stdout.write(`wrote ${file}\n`);
  return EXIT.ok;
}
