// The runner's side of the module contract: queries and steps executed in order on a recording
// stand-in for the connection (what each command does on a real host is the sshd tests' business).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { apt } from '../../engine/core/modules/apt';
import { ModuleError, type Outcome, Query, type Step } from '../../engine/core/modules/types';
import { commandOf, type Exec, probeWith, runSteps } from '../../engine/core/run/steps';
import { planContext } from '../helpers/modules';

/** An Exec that records each script and answers from a list of rules (first match wins). */
function host(rules: Array<[RegExp, { rc?: number; stdout?: string; stderr?: string }]>) {
  const ran: string[] = [];
  const stdins: Array<string | Buffer | undefined> = [];
  const exec: Exec = async (script, options) => {
    ran.push(script);
    stdins.push(options?.stdin);
    const hit = rules.find(([re]) => re.test(script));
    return { rc: 0, stdout: '', stderr: '', ...(hit?.[1] ?? {}) };
  };
  return { exec, ran, stdins };
}
const noReplan = () => Promise.reject(new Error('not expected'));

describe('steps', () => {
  it('run steps go in order; a non-zero exit stops the rest with the stderr, naming the step', async () => {
    const h = host([[/^false/, { rc: 3, stderr: 'nope\n' }]]);
    const steps: Step[] = [
      { kind: 'run', script: 'true' },
      { kind: 'run', script: 'false\nmore', what: 'the second step' },
      { kind: 'run', script: 'never' },
    ];
    await expect(runSteps(h.exec, steps, noReplan)).rejects.toThrow(ModuleError);
    await expect(runSteps(h.exec, steps, noReplan)).rejects.toThrow('the second step: failed (rc=3): nope');
    expect(h.ran).toEqual(['true', 'false\nmore', 'true', 'false\nmore']);
  });

  it('a step that reads its own outcome reports failure as a result, and the steps after it do not run', async () => {
    const h = host([[/^a$/, { rc: 1 }]]);
    const steps: Step[] = [
      { kind: 'run', script: 'a', result: (res) => ({ failed: res.rc !== 0, rc: res.rc }) },
      { kind: 'run', script: 'b' },
    ];
    expect(await runSteps(h.exec, steps, noReplan)).toEqual({ failed: true, rc: 1 });
    expect(h.ran).toEqual(['a']);
  });

  it('a write uploads through a checksum-verified temp file (the checksum on stdin, not in the argv); validate checks a private copy first', async () => {
    const h = host([[/^visudo/, { rc: 1, stderr: 'syntax error' }]]);
    const write: Step = { kind: 'write', path: '/etc/sudoers', content: Buffer.from('x\n'), mode: '0440', validate: 'visudo -cf %s' };
    await expect(runSteps(h.exec, [write], noReplan)).rejects.toThrow('validate visudo -cf /etc/sudoers.validate.');
    expect(h.ran).toHaveLength(3);
    expect(h.ran[0]).toContain('mv -f "$t" /etc/sudoers.validate.');
    expect(h.ran[2]).toMatch(/^rm -f \/etc\/sudoers\.validate\.\d+$/);
    const ok = host([]);
    const result = await runSteps(ok.exec, [{ ...write, validate: undefined, backup: true }], noReplan);
    expect(ok.ran[0]).toContain('chmod 0440 "$t"');
    expect(ok.ran[0]).toMatch(/cp -p \/etc\/sudoers '?\/etc\/sudoers\.\d{4}-/);
    const sum = createHash('sha256').update('x\n').digest('hex');
    expect(ok.ran[0]).not.toContain(sum);
    expect(ok.ran[0]).toContain('IFS= read -r want');
    expect(String(ok.stdins[0])).toBe(`${sum}\nx\n`);
    expect(String(result.backup_file)).toMatch(/^\/etc\/sudoers\.\d{4}-.*~$/);
  });

  it('replan probes and plans again, and the new plan decides the result', async () => {
    // apt: the cache is stale, so it refreshes; on the fresh cache the package turns out installed.
    const h = host([[/dpkg-query/, { stdout: 'I jq installed|1.6\nA 0\n' }]]);
    const args = { name: 'jq', update_cache: true };
    const ctx = planContext();
    const decide = async (a: unknown): Promise<Outcome> => apt.plan(a as typeof args, (await probeWith(h.exec, apt, a as typeof args, ctx))!, ctx);
    const first: Outcome = apt.plan(args, { installed: {}, candidate: {}, cacheAgeSeconds: 99999 }, ctx);
    expect(first.changed).toBe(true);
    const result = await runSteps(h.exec, first.steps!, decide);
    expect(h.ran[0]).toBe('apt-get update -q');
    expect(result).toMatchObject({ changed: false, msg: 'packages already present', cache_updated: true });
    expect(h.ran.some((s) => s.includes('apt-get install'))).toBe(false);
  });

  it('a controller step calls its function and its result joins the task result', async () => {
    const h = host([]);
    expect(await runSteps(h.exec, [{ kind: 'call', what: 'api', fn: async () => ({ id: 7 }) }], noReplan)).toEqual({ id: 7 });
    expect(h.ran).toEqual([]);
  });

  it('a query runs with its stdin and cwd, and its follow-up query after it', async () => {
    const seen: Array<{ script: string; cwd?: string; stdin?: string | Buffer }> = [];
    const exec: Exec = async (script, options = {}) => {
      seen.push({ script, ...options });
      return { rc: 0, stdout: script === 'one' ? '1' : '2', stderr: '' };
    };
    const module = {
      name: 'demo',
      schema: { type: 'object' as const, description: '', properties: {} },
      probe: () => new Query('one', (res) => new Query('two', (next) => `${res.stdout}+${next.stdout}`, { cwd: '/tmp' }), { stdin: 'in' }),
      plan: () => ({ changed: false, msg: '' }),
    };
    expect(await probeWith(exec, module, {}, planContext())).toBe('1+2');
    expect(seen).toEqual([
      { script: 'one', stdin: 'in', cwd: undefined },
      { script: 'two', stdin: undefined, cwd: '/tmp' },
    ]);
  });
});

it('a write makes the missing parent directories only when asked (a file lineinfile or blockinfile creates)', () => {
  const write = (makeParents?: boolean) => commandOf({ kind: 'write', path: '/srv/new dir/f', content: Buffer.from('x'), makeParents }).script;
  expect(write(true)).toContain("[ -d '/srv/new dir' ] || mkdir -p -- '/srv/new dir'");
  expect(write(false)).not.toContain('mkdir');
});
