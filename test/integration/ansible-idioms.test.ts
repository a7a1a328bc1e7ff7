// Ansible content as people write it, run unchanged on the controller (local connection):
// key=value argument strings on the modules that take them in Ansible.
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { engine, jsonEvents, project } from '../helpers/engine';

const INVENTORY = 'all:\n  hosts:\n    localhost: { ansible_connection: local }\n';

it('debug: var=x, set_fact: a=b, assert: that=..., fail: msg=..., pause: seconds=0 read as key=value', async () => {
  const dir = project({
    'inventory.yml': INVENTORY,
    'site.yml': `- hosts: all
  gather_facts: false
  vars: { port: 5060 }
  tasks:
    - set_fact: greeting="hello world" tls=yes count={{ port + 1 }}
    - debug: var=greeting
    - debug: msg="port {{ count }}" verbosity=0
    - assert: that="tls and count | int == 5061"
    - pause: seconds=0
    - fail: msg="stopped on purpose"
      ignore_errors: true
`,
  });
  const run = await engine(['run', join(dir, 'site.yml'), '-i', join(dir, 'inventory.yml'), '--json']);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  const results = jsonEvents(run.stdout).filter((e) => e.kind === 'host_result');
  expect(results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ignored']);
  expect(results[1].result).toEqual({ greeting: 'hello world' });
  expect(results[2].msg).toBe('port 5061');
  expect(results[5].msg).toBe('stopped on purpose');
});
