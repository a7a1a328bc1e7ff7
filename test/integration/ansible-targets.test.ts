// Proof from outside: ansible-core's own integration targets (2.14.17's sdist, downloaded by pip,
// never committed) run under ansible-playbook and under the engine on this machine, local
// connection, as ansible-test runs a role-style target. Each target the engine ends alike today
// (same failures, tasks ok within 10 %) must stay so; bench/targets.ts prints the whole table.
import { beforeAll, expect, it } from 'vitest';
import { endsAlike, runTarget, targetsDir } from '../helpers/ansible-targets';
import { ALIKE_TARGETS, COMPARED_TARGETS } from './ansible-targets.list';

beforeAll(() => {
  targetsDir();
}, 300_000);

it('names each target once, and every target that ends alike is one of those compared', () => {
  expect(COMPARED_TARGETS.filter((t, i) => COMPARED_TARGETS.indexOf(t) !== i)).toEqual([]);
  expect(ALIKE_TARGETS.filter((t, i) => ALIKE_TARGETS.indexOf(t) !== i)).toEqual([]);
  expect(ALIKE_TARGETS.filter((t) => !COMPARED_TARGETS.includes(t))).toEqual([]);
});

it.each(ALIKE_TARGETS)(
  'ansible-core target %s ends as under ansible-playbook',
  async (target) => {
    const ansible = await runTarget(target, 'ansible');
    // A target Ansible itself does not finish here would prove nothing about the engine.
    expect(ansible.ok, `ansible-playbook did not run ${target}: ${ansible.why}`).not.toBeNull();
    const engine = await runTarget(target, 'engine');
    expect(engine.ok, `the engine did not load ${target}: ${engine.why}`).not.toBeNull();
    expect(
      endsAlike(ansible, engine),
      `${target}: Ansible ok ${ansible.ok} failed ${ansible.failed}, engine ok ${engine.ok} failed ${engine.failed}: ${engine.why}`,
    ).toBe(true);
  },
  300_000,
);
