// Modules the engine does not implement run through Ansible's module protocol (ansible-core on the
// controller packs them, the host's Python runs them): results, facts, check mode and diff as the
// module defines them, a role's library/ module, and clear errors where that cannot work.
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { engine, jsonEvents, project, recap } from '../helpers/engine';
import { type HostSet, startHosts } from '../helpers/sshd';

let set: HostSet;
let inventory: string;
let root: string;

beforeAll(async () => {
  set = await startHosts(1, 'am');
  inventory = set.inventory();
  root = set.hosts[0].root;
});
afterAll(async () => set?.stop());

const play = (tasks: string) => `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks.replace(/^/gm, '    ')}\n`;

it('runs ansible.builtin modules the engine lacks: their results, facts and failures', async () => {
  const dir = project({
    'play.yml': '- hosts: all\n  gather_facts: false\n  roles: [facter]\n',
    // A role's module that sets a fact, as custom fact modules do.
    'roles/facter/library/facter.py': `#!/usr/bin/python3
from ansible.module_utils.basic import AnsibleModule
m = AnsibleModule(argument_spec={'value': {'type': 'str'}}, supports_check_mode=True)
m.exit_json(changed=False, ansible_facts={'facter_value': m.params['value']})
`,
    'roles/facter/tasks/main.yml': `- ansible.builtin.debconf: { name: debconf }
  register: asked
- facter: { value: from-python }
- assert:
    that:
      - asked.current is mapping
      - asked is not changed
      - facter_value == 'from-python'
      - ansible_facts.facter_value == 'from-python'
- ansible.builtin.pip: { name: nothing, executable: /nonexistent/pip }
  ignore_errors: true
  register: missing
- assert: { that: ["missing is failed", "'/nonexistent/pip' in missing.msg"] }
`,
  });
  const run = await engine(['run', join(dir, 'play.yml'), '-i', inventory]);
  expect(run.code, run.stdout).toBe(0);
  expect(recap(run.stdout).am1).toMatchObject({ failed: 0, ignored: 1, changed: 0 });
});

it('check mode and diff are the module’s own: a dry run reports the change and leaves the file', async () => {
  const target = join(root, 'replace-me.txt');
  writeFileSync(target, 'alpha\nbeta\n');
  const dir = project({
    'play.yml': '- hosts: all\n  gather_facts: false\n  roles: [editor]\n',
    // A module with its own check mode and diff: the engine shows what the module says.
    'roles/editor/library/swap_line.py': `#!/usr/bin/python3
import os
from ansible.module_utils.basic import AnsibleModule
m = AnsibleModule(argument_spec={'path': {'type': 'path'}, 'old': {'type': 'str'}, 'new': {'type': 'str'}}, supports_check_mode=True)
p = m.params
before = open(p['path']).read()
after = '\\n'.join(p['new'] if l == p['old'] else l for l in before.split('\\n'))
if after != before and not m.check_mode:
    open(p['path'] + '.new', 'w').write(after)
    os.replace(p['path'] + '.new', p['path'])
m.exit_json(changed=after != before, diff={'before': before, 'after': after, 'before_header': p['path'], 'after_header': p['path']})
`,
    'roles/editor/tasks/main.yml': `- swap_line: { path: "${target}", old: alpha, new: gamma }\n`,
  });
  const args = ['run', join(dir, 'play.yml'), '-i', inventory];
  const dry = await engine([...args, '--check', '--diff']);
  expect(dry.code, dry.stdout).toBe(0);
  expect(dry.stdout).toMatch(/-alpha\n\+gamma/);
  expect(readFileSync(target, 'utf8')).toBe('alpha\nbeta\n');
  const real = await engine(args);
  expect(recap(real.stdout).am1?.changed, real.stdout).toBe(1);
  expect(readFileSync(target, 'utf8')).toBe('gamma\nbeta\n');
  const again = await engine(args);
  expect(recap(again.stdout).am1?.changed, again.stdout).toBe(0);
});

it("runs a role's own library/ module, with its arguments (secrets never in an argv)", async () => {
  const dir = project({
    'play.yml': '- hosts: all\n  gather_facts: false\n  roles: [greeter]\n',
    'roles/greeter/library/greet.py': `#!/usr/bin/python3
from ansible.module_utils.basic import AnsibleModule
m = AnsibleModule(argument_spec={'who': {'type': 'str', 'required': True}, 'token': {'type': 'str', 'no_log': True}}, supports_check_mode=True)
m.exit_json(changed=not m.check_mode, greeting='hello ' + m.params['who'], checked=m.check_mode)
`,
    'roles/greeter/tasks/main.yml': `- greet: { who: world, token: s3cret-token-98 }
  register: g
- debug: { msg: "{{ g.greeting }} {{ 'checked' if g.checked else 'for real' }}" }
`,
  });
  const args = ['run', join(dir, 'play.yml'), '-i', inventory, '--json'];
  const real = await engine(args);
  expect(real.code, real.stdout).toBe(0);
  const greeting = (stdout: string) => jsonEvents(stdout).find((e) => e.kind === 'host_result' && e.task === 'debug')?.msg;
  expect(greeting(real.stdout)).toBe('hello world for real');
  const dry = await engine([...args, '--check']);
  expect(greeting(dry.stdout)).toBe('hello world checked');
  expect(real.stdout + dry.stdout).not.toContain('s3cret-token-98');
});

it('a module that needs its action plugin fails its task only; an unknown one is a load error', async () => {
  const dir = project({
    'play.yml': play(`- ansible.builtin.set_stats: { data: { never: set } }
  ignore_errors: true
  register: stats
- assert: { that: "'action plugin' in stats.msg" }`),
    'bad.yml': play('- debug: { msg: fine }\n- no_such_module_anywhere: { a: 1 }'),
  });
  const run = await engine(['run', join(dir, 'play.yml'), '-i', inventory]);
  expect(run.code, run.stdout).toBe(0);
  const bad = await engine(['run', join(dir, 'bad.yml'), '-i', inventory]);
  expect(bad.code).toBe(5);
  expect(bad.stderr).toMatch(/bad\.yml:5:7: .*'no_such_module_anywhere'.*neither the engine nor Ansible/);
});

it('without ansible-core on the controller the error says so', async () => {
  const dir = project({ 'play.yml': play('- ansible.builtin.debconf: { name: debconf }') });
  // A PATH with node only: no ansible-playbook to find.
  const bin = mkdtempSync(join(tmpdir(), 'engine-path-'));
  symlinkSync(process.execPath, join(bin, 'node'));
  const run = await engine(['run', join(dir, 'play.yml'), '-i', inventory], { PATH: bin });
  rmSync(bin, { recursive: true });
  expect(run.code).toBe(5);
  expect(run.stderr).toMatch(/ansible-core \(which would run it\) is not installed on the controller/);
});
