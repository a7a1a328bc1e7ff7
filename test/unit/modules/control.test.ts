// Controller-side modules on fixture variables: assert, fail, debug, set_fact, pause, include_vars,
// and add_host and group_by on a real inventory object.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { changeInventory, inventoryGroup, inventoryHost, loadInventory } from '../../../engine/core/load/inventory';
import { add_host } from '../../../engine/core/modules/add_host';
import { assert, debug, fail, pause, set_fact } from '../../../engine/core/modules/control';
import { group_by } from '../../../engine/core/modules/group_by';
import { include_vars } from '../../../engine/core/modules/include_vars';
import { planContext } from '../../helpers/modules';

const vars: Record<string, unknown> = { port: 5060, nodes: ['a', 'b'] };
const ctx = planContext({
  vars,
  // A stand-in for Jinja2 on these fixtures: a variable name, or `name == value`.
  evaluate: (expr) => {
    const [name, value] = expr.split(' == ');
    return value === undefined ? Boolean(vars[name]) : String(vars[name]) === value;
  },
  expression: (expr) => vars[expr],
});

describe('assert', () => {
  it('passes when every condition holds and names the first that does not', () => {
    expect(assert.plan({ that: ['port == 5060', 'nodes'] }, undefined, ctx)).toMatchObject({ changed: false, msg: 'all assertions passed' });
    expect(assert.plan({ that: ['port == 5060', 'port == 5080'] }, undefined, ctx)).toMatchObject({
      failed: true,
      msg: 'assertion failed: port == 5080',
      result: { assertion: 'port == 5080' },
    });
    expect(assert.plan({ that: 'port == 1', fail_msg: 'wrong port' }, undefined, ctx)).toMatchObject({ failed: true, msg: 'wrong port' });
    expect(assert.plan({ that: 'port == 5060', success_msg: 'fine' }, undefined, ctx).msg).toBe('fine');
  });

  it('warn_only turns a false condition into a warning, not a failure', () => {
    const out = assert.plan({ that: 'port == 1', warn_only: true, msg: 'odd port' }, undefined, ctx);
    expect(out.failed).toBeUndefined();
    expect(out.result).toEqual({ assertion: 'port == 1', warnings: ['odd port'] });
  });
});

describe('fail, debug, set_fact', () => {
  it("fail fails with its message (any value, registered as it is) or Ansible's default", () => {
    expect(fail.plan({ msg: 'stop' }, undefined, ctx)).toEqual({ changed: false, failed: true, msg: 'stop' });
    expect(fail.plan({}, undefined, ctx).msg).toBe('Failed as requested from task');
    expect(fail.plan({ msg: ['stderr line', 'stdout line'] }, undefined, ctx)).toMatchObject({ failed: true, result: { msg: ['stderr line', 'stdout line'] } });
  });

  it('debug shows a variable under its own name, or a message of any type', () => {
    expect(debug.plan({ var: 'nodes' }, undefined, ctx)).toEqual({ changed: false, msg: 'nodes = ["a","b"]', result: { nodes: ['a', 'b'] } });
    expect(debug.plan({ msg: { a: 1 } }, undefined, ctx).msg).toBe('{"a":1}');
    expect(debug.plan({}, undefined, ctx).msg).toBe('Hello world!');
  });

  it('set_fact sets its arguments as facts, cacheable aside', () => {
    expect(set_fact.plan({ a: 1, cacheable: true }, undefined, ctx)).toMatchObject({ facts: { a: 1 }, result: { ansible_facts: { a: 1 } }, msg: 'set a' });
  });

  it('set_fact turns strings that read as booleans into booleans, as Ansible does, and nothing else', () => {
    expect(set_fact.plan({ a: 'yes', b: 'False', c: 'TRUE', d: 'no', e: 'yes please', f: '1' }, undefined, ctx).facts).toEqual({
      a: true,
      b: false,
      c: true,
      d: false,
      e: 'yes please',
      f: '1',
    });
  });
});

describe('pause', () => {
  it('waits on the controller, in check mode too, and reports how long', async () => {
    const start = Date.now();
    const waited = await pause.probe!({ seconds: 0.2 }, planContext({ check: true }));
    expect(Date.now() - start).toBeGreaterThanOrEqual(190);
    expect(pause.plan({ seconds: 0.2 }, waited, ctx)).toMatchObject({ msg: 'paused 0.2s', result: { delta: 0.2 } });
    expect(pause.plan({ prompt: 'go on' }, 0, ctx).msg).toBe('go on');
  });
});

describe('include_vars', () => {
  const dir = mkdtempSync(join(tmpdir(), 'incvars-'));
  writeFileSync(join(dir, 'site.yml'), 'vip: 10.0.0.9\nports: [5060]\n');
  writeFileSync(join(dir, 'list.yml'), '- a\n');
  const files = planContext({ findLocal: (_kind, name) => join(dir, name), readYaml: (path) => parse(readFileSync(path, 'utf8')) });

  it('loads a mapping as facts, or under one name', () => {
    expect(include_vars.plan({ file: 'site.yml' }, undefined, files).facts).toEqual({ vip: '10.0.0.9', ports: [5060] });
    expect(include_vars.plan({ file: 'site.yml', name: 'site' }, undefined, files).facts).toEqual({ site: { vip: '10.0.0.9', ports: [5060] } });
  });

  it("hash_behaviour=merge merges into the variable's value now; a file not found or not given fails in Ansible's words", () => {
    writeFileSync(join(dir, 'more.yml'), 'config: { b: 2, deep: { y: 2 } }\n');
    const current = { config: { a: 1, deep: { x: 1 } } };
    const withConfig = planContext({ ...files, vars: current, expression: (name) => current[name as 'config'] });
    expect(include_vars.plan({ file: 'more.yml', hash_behaviour: 'merge' }, undefined, withConfig).facts).toEqual({
      config: { a: 1, b: 2, deep: { x: 1, y: 2 } },
    });
    expect(include_vars.plan({ file: 'more.yml' }, undefined, withConfig).facts).toEqual({ config: { b: 2, deep: { y: 2 } } });
    expect(include_vars.plan({ file: '' }, undefined, files)).toMatchObject({
      failed: true,
      result: { message: expect.stringContaining('Could not find file') },
    });
    const missing = planContext({
      findLocal: () => {
        throw new Error('not there');
      },
    });
    expect(() => include_vars.plan({ file: 'nope.yml' }, undefined, missing)).toThrow(
      "Could not find or access 'nope.yml' on the Ansible Controller: not there",
    );
  });

  it('a file that is not a mapping fails the task, naming it', () => {
    expect(include_vars.plan({ file: 'list.yml' }, undefined, files)).toMatchObject({
      failed: true,
      msg: `${join(dir, 'list.yml')} must hold a mapping of variables`,
    });
  });
});

describe('add_host, group_by', () => {
  /** An inventory of one host, and a plan context that reads it as the run gives it. */
  function world() {
    const inv = loadInventory('web1,');
    const ctx = planContext({ host: 'web1', inventory: { host: (n) => inventoryHost(inv, n), group: (n) => inventoryGroup(inv, n) } });
    const apply = <A>(module: { plan(a: A, f: undefined, c: typeof ctx): ReturnType<typeof add_host.plan> }, args: A) => {
      const out = module.plan(args, undefined, ctx);
      if (out.inventory) changeInventory(inv, out.inventory);
      return out;
    };
    return { inv, apply };
  }

  it('add_host: a new host, its groups and variables; changed only when something is new', () => {
    const { inv, apply } = world();
    const first = apply(add_host, { name: 'db1:2222', groups: 'dbs, backup', role: 'primary' });
    expect(first).toMatchObject({
      changed: true,
      result: { add_host: { host_name: 'db1', groups: ['dbs', 'backup'], host_vars: { role: 'primary', ansible_ssh_port: 2222 } } },
    });
    expect(inv.hosts).toEqual(['web1', 'db1']);
    expect([...inv.groups.get('dbs')!.hosts]).toEqual(['db1']);
    expect(inv.groups.get('ungrouped')!.hosts.has('db1')).toBe(false);
    expect(apply(add_host, { hostname: 'db1', groups: ['dbs'], role: 'primary' }).changed).toBe(false);
    expect(apply(add_host, { name: 'db1', role: 'replica' }).changed).toBe(true);
    expect(inv.hostVars.get('db1')).toMatchObject({ role: 'replica', ansible_ssh_port: 2222 });
  });

  it('add_host: arguments as one mapping template, refused as Ansible refuses what is not one', () => {
    const { apply } = world();
    expect(apply(add_host, { _raw_params: { name: 'x1', groups: 'g' } })).toMatchObject({
      changed: true,
      result: { add_host: { host_name: 'x1', groups: ['g'] } },
    });
    expect(apply(add_host, { _raw_params: 'namex groupsy' })).toMatchObject({
      failed: true,
      msg: "Invalid raw parameters passed, requires a dictionary/mapping got a  <class 'str'>",
    });
    expect(apply(add_host, { groups: 'g' })).toMatchObject({ failed: true, msg: 'name, host or hostname needs to be provided' });
  });

  it('group_by: the host in a group named by the key (spaces as dashes), under its parents; changed the first time', () => {
    const { inv, apply } = world();
    expect(apply(group_by, { key: 'os Debian', parents: ['linux'] })).toMatchObject({
      changed: true,
      result: { add_group: 'os-Debian', parent_groups: ['linux'] },
    });
    expect(inv.groups.get('os-Debian')).toMatchObject({ hosts: new Set(['web1']), parents: new Set(['linux']) });
    expect(inv.groups.get('linux')!.parents).toEqual(new Set(['all']));
    expect(apply(group_by, { key: 'os Debian', parents: ['linux'] }).changed).toBe(false);
    expect(apply(group_by, { key: 'os Debian' }).changed).toBe(false);
    expect(apply(group_by, {})).toMatchObject({ failed: true, msg: "the 'key' param is required when using group_by" });
  });
});
