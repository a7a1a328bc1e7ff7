// Every load error names file:line:col and the field, and bad input never shows a stack trace.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { engine, project } from '../helpers/engine';
import '../../engine/shipped';
import { schemaFiles } from '../../engine/core/schema/write';
import { readFileSync } from 'node:fs';

async function validate(files: Record<string, string>, inventory?: string) {
  const dir = project({ 'inv.yml': inventory ?? 'all:\n  hosts:\n    localhost:\n      ansible_connection: local\n', ...files });
  const run = await engine(['validate', join(dir, 'play.yml'), '-i', join(dir, 'inv.yml')]);
  return { ...run, dir };
}

describe('load errors', () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ['bad YAML', { 'play.yml': '- hosts: all\n  tasks:\n    - debug: {msg: "x"\n' }, /play\.yml:4:1: .*(flow|Missing)/i],
    [
      'unknown module with suggestions',
      { 'play.yml': '- hosts: all\n  tasks:\n    - name: x\n      copyy: { dest: /tmp/x, content: y }\n' },
      /play\.yml:4:7: field 'copyy': unknown module or task keyword 'copyy' \(did you mean 'copy'/,
    ],
    [
      'unknown module argument',
      { 'play.yml': '- hosts: all\n  tasks:\n    - copy: { dest: /tmp/x, contnet: y }\n' },
      /play\.yml:3:29: field 'copy\.contnet': unknown field 'contnet' \(did you mean 'content'/,
    ],
    [
      'missing required argument',
      { 'play.yml': '- hosts: all\n  tasks:\n    - template: { dest: /tmp/x }\n' },
      /play\.yml:3:17: .*missing required field 'src'/,
    ],
    [
      'bad enum value',
      { 'play.yml': '- hosts: all\n  tasks:\n    - file: { path: /tmp/x, state: folder }\n' },
      /play\.yml:3:36: field 'file\.state': must be one of: "file", "directory"/,
    ],
    [
      'unknown play keyword',
      { 'play.yml': '- hosts: all\n  gather_fact: false\n' },
      /play\.yml:2:3: field 'gather_fact': unknown field 'gather_fact' \(did you mean 'gather_facts'/,
    ],
    [
      'key=value argument typo',
      { 'play.yml': '- hosts: all\n  tasks:\n    - file: path=/tmp/x stat=directory\n' },
      /play\.yml:3:7: field 'file\.stat': unknown argument 'stat' for module 'file' \(did you mean 'state'/,
    ],
    [
      "command's probe given as an argument",
      { 'play.yml': '- hosts: all\n  tasks:\n    - command: "true"\n      args: { probe: "true" }\n' },
      /play\.yml:3:7: field 'command\.probe': unknown argument 'probe' for module 'command': it is the task variable 'engine_probe'/,
    ],
    [
      'notify without handler',
      {
        'play.yml': '- hosts: all\n  tasks:\n    - command: "true"\n      notify: restart pbx\n  handlers:\n    - name: restart pbxd\n      command: "true"\n',
      },
      /play\.yml:3:7: field 'notify': notify 'restart pbx' matches no handler .*did you mean 'restart pbxd'/,
    ],
    [
      'role task file error',
      { 'play.yml': '- hosts: all\n  roles: [r]\n', 'roles/r/tasks/main.yml': '- name: ok\n  debug: { msg: hi }\n- lineinfile: { path: /x, lien: y }\n' },
      /roles\/r\/tasks\/main\.yml:3:27: field 'lineinfile\.lien': unknown field 'lien' \(did you mean 'line'/,
    ],
    ['missing role', { 'play.yml': '- hosts: all\n  roles: [nope]\n' }, /play\.yml:1:3: role 'nope' not found/],
    ['duplicate key', { 'play.yml': '- hosts: all\n  hosts: web\n' }, /play\.yml:2:3: Map keys must be unique/],
  ];
  for (const [name, files, pattern] of cases) {
    it(name, async () => {
      const run = await validate(files);
      expect(run.code).toBe(5);
      expect(run.stderr.replace(`${run.dir}/`, '')).toMatch(pattern);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    });
  }

  it('a module argument problem fails its task when it runs, as in Ansible; validate lists every one of them', async () => {
    const files = {
      'play.yml': `- hosts: all
  gather_facts: false
  tasks:
    - debug: msg=before
    - copy: { dest: /tmp/x, content: y, contnet: z }
    - debug: msg=after
    - block:
        - file: { path: /tmp/y, state: folder }
        - lineinfile: { line: x }
`,
    };
    const checked = await validate(files);
    expect(checked.code).toBe(5);
    const lines = checked.stderr.replaceAll(`${checked.dir}/`, '').trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^error: play\.yml:5:41: field 'copy\.contnet': unknown field 'contnet' \(did you mean 'content'/),
      expect.stringMatching(/^error: play\.yml:8:40: field 'file\.state': must be one of: "file", "directory"/),
      expect.stringMatching(/^error: play\.yml:9:11: field 'lineinfile': module 'lineinfile' needs argument 'path'/),
    ]);
    const run = await engine(['run', join(checked.dir, 'play.yml'), '-i', join(checked.dir, 'inv.yml')]);
    expect(run.code, run.stdout).toBe(2);
    expect(run.stdout).toMatch(/ok: \[localhost\] => \{"msg":"before"\}/);
    expect(run.stdout.replaceAll(`${checked.dir}/`, '')).toMatch(
      /TASK \[copy\][^\n]*\nfatal: \[localhost\]: FAILED! => \{"msg":"play\.yml:5:7: field 'copy\.contnet': unknown argument 'contnet' for module 'copy' \(did you mean 'content'/,
    );
    expect(run.stdout).not.toContain('after');
  });

  it('validate holds a vars file named through the inventory to its schema, as a run would', async () => {
    const schema = JSON.stringify({ type: 'object', properties: { vip_cidr_netmask: { type: 'integer', maximum: 32 } } });
    const inventory = 'all:\n  vars:\n    site: site.yml\n  hosts:\n    localhost: { ansible_connection: local }\n';
    const files = { 'play.yml': '- hosts: all\n  vars_files: ["{{ site }}"]\n  tasks: []\n', 's.json': schema };
    const good = await validate({ ...files, 'site.yml': '# yaml-language-server: $schema=s.json\nvip_cidr_netmask: 20\n' }, inventory);
    expect(good.code, good.stderr).toBe(0);
    const bad = await validate({ ...files, 'site.yml': '# yaml-language-server: $schema=s.json\nvip_cidr_netmask: 40\n' }, inventory);
    expect(bad.code).toBe(5);
    expect(bad.stderr.replace(`${bad.dir}/`, '')).toMatch(/site\.yml:2:19: field 'vip_cidr_netmask': must be <= 32/);
  });

  it('an inventory error names the inventory file', async () => {
    const run = await validate({ 'play.yml': '- hosts: all\n  tasks: []\n' }, 'all:\n  hosts:\n    a:\n  chlidren:\n    web: {}\n');
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(/inv\.yml:4:3: field 'all\.chlidren': unknown field 'chlidren' \(did you mean 'children'/);
  });

  it('an undefined variable names the variable and where it was used', async () => {
    const dir = project({
      'play.yml': '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - name: uses a typo\n      debug: { msg: "{{ pbx_imagee }}" }\n',
    });
    const run = await engine(['run', join(dir, 'play.yml')]);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(`${dir}/play.yml:4:7: undefined variable 'pbx_imagee' in '{{ pbx_imagee }}' (task 'uses a typo' arguments)`);
  });

  it('bad CLI flags exit 5 with a message', async () => {
    const unknownFlag = await engine(['run', 'x.yml', '--chekc']);
    expect(unknownFlag.code).toBe(5);
    expect(unknownFlag.stderr).toContain("Unknown option '--chekc'");
    // A playbook that exists, so the exit code can only come from the flag.
    for (const bad of ['zero', '0', '-1', '1.5']) {
      const forks = await engine(['run', 'playbooks/deploy.yml', '-i', 'inventory/lan.yml', '--check', '--forks', bad]);
      expect(forks.code, bad).toBe(5);
      expect(forks.stderr, bad).toMatch(/--forks/);
    }
    const missing = await engine(['run', 'nowhere.yml']);
    expect(missing.code).toBe(5);
    expect(missing.stderr).toContain('file not found: nowhere.yml');
  });

  it('the committed JSON Schemas match the modules (run `engine schema --write`)', () => {
    for (const [name, content] of Object.entries(schemaFiles())) {
      expect(readFileSync(join(__dirname, '../../engine/schema', name), 'utf8'), name).toBe(content);
    }
  });
});
