// Ansible content as people write it, run unchanged on the controller (local connection):
// key=value argument strings on the modules that take them in Ansible, and loops and lookups
// compared with what ansible-playbook makes of the same playbook.
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
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

/** Runs ansible-playbook on the same files (local connection); resolves with its exit code and output. */
function ansiblePlaybook(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((done) => {
    execFile('ansible-playbook', args, { env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCALHOST_WARNING: 'false' } }, (err, stdout) =>
      done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout }),
    );
  });
}

/** Runs site.yml of dir with the engine and with ansible-playbook, each writing into its own `out`; the files each wrote. */
async function filesOfBothTools(dir: string): Promise<Record<'engine' | 'ansible', Record<string, string>>> {
  const results = { engine: {}, ansible: {} } as Record<'engine' | 'ansible', Record<string, string>>;
  for (const tool of ['engine', 'ansible'] as const) {
    const out = join(dir, `out-${tool}`);
    mkdirSync(out);
    const args = [join(dir, 'site.yml'), '-i', join(dir, 'inventory.yml'), '-e', `out=${out}`];
    const run = tool === 'engine' ? await engine(['run', ...args]) : await ansiblePlaybook(args);
    expect(run.code, `${tool}: ${run.stdout}`).toBe(0);
    results[tool] = Object.fromEntries(readdirSync(out).map((f) => [f, readFileSync(join(out, f), 'utf8')]));
  }
  return results;
}

it('every with_<lookup> loop, lookup() and query() give what they give under ansible-playbook', async () => {
  const loops: Record<string, string> = {
    items: '[1, [2, 3], "x"]',
    list: '[1, [2, 3]]',
    dict: '{ b: 2, a: 1 }',
    sequence: 'start=2 end=10 stride=4 format=n%02d',
    nested: '[[1, 2], [a, b]]',
    together: '[[1, 2, 3], [a, b]]',
    subelements: '[ "{{ users }}", keys ]',
    indexed_items: '[x, [y, z]]',
    lines: "printf 'l1\\nl2\\n'",
    fileglob: '"{{ playbook_dir }}/files/*.txt"',
    first_found: '[ nope.txt, b.txt ]',
    file: '[ a.txt ]',
  };
  const tasks = Object.entries(loops).map(
    ([name, terms]) => `    - copy: { dest: "{{ out }}/${name}", content: "{{ item | to_json }}\\n" }
      with_${name}: ${terms}
      register: ${name}_r
      loop_control: { label: x }
    - copy: { dest: "{{ out }}/${name}.all", content: "{{ ${name}_r.results | map(attribute='item') | list | to_json }}\\n" }`,
  );
  const dir = project({
    'inventory.yml': INVENTORY,
    'files/a.txt': 'A\n',
    'files/b.txt': 'B  \n',
    'site.yml': `- hosts: all
  gather_facts: false
  vars:
    users: [{ name: u1, keys: [k1, k2] }, { name: u2, keys: [k3] }]
  tasks:
${tasks.join('\n')}
    - copy:
        dest: "{{ out }}/lookups"
        content: |
          {{ lookup('sequence', 'count=3') }} {{ query('items', [1, [2]]) | to_json }} {{ lookup('items', [1, 2]) | to_json }}
          {{ lookup('file', 'a.txt') }} {{ lookup('vars', 'users') | to_json }} {{ lookup('pipe', 'echo piped') }}
          {{ q('dict', {'k': 'v'}) | to_json }} {{ lookup('env', 'NO_SUCH_VAR_HERE') }}|{{ lookup('items', [1, 2], wantlist=True) | to_json }}
          {{ users | to_nice_json }}
`,
  });
  const results = await filesOfBothTools(dir);
  expect(Object.keys(results.engine)).toHaveLength(Object.keys(loops).length * 2 + 1);
  expect(results.engine).toEqual(results.ansible);
});

it('rescue reads ansible_failed_task/result; ansible_managed; path tests; True/False/None: as under ansible-playbook', async () => {
  const dir = project({
    'inventory.yml': INVENTORY,
    'templates/conf.j2': '# {{ ansible_managed }}\nvalue={{ value }}\n',
    'site.yml': `- hosts: all
  gather_facts: false
  vars: { value: 7 }
  tasks:
    - block:
        - command: /bin/false
          name: the failing one
      rescue:
        - copy:
            dest: "{{ out }}/rescued"
            content: "{{ ansible_failed_task.name }} {{ ansible_failed_result.rc }} {{ ansible_failed_result.failed | ternary('failed', 'ok') }}\\n"
    - template: { src: conf.j2, dest: "{{ out }}/conf" }
    - copy:
        dest: "{{ out }}/tests"
        content: "{{ [playbook_dir is directory, (out ~ '/conf') is file, '/nonexistent' is exists, 'rel/path' is abs, '/etc' is abs, [1] is subset([1, 2]), None is none, True and not False] | to_json }}\\n"
`,
  });
  const results = await filesOfBothTools(dir);
  expect(results.engine.rescued).toBe('the failing one 1 failed\n');
  expect(results.engine).toEqual(results.ansible);
});

it('-i host1,host2:port, is a host list, as in Ansible', async () => {
  const dir = project({
    'site.yml': `- hosts: localhost
  gather_facts: false
  tasks:
    - debug: { msg: "{{ groups['all'] | to_json }} {{ hostvars['127.0.0.1'].ansible_port }} {{ groups['ungrouped'] | length }}" }
`,
  });
  const run = await engine(['run', join(dir, 'site.yml'), '-i', 'localhost,127.0.0.1:2299,', '--json']);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  expect(jsonEvents(run.stdout).find((e) => e.kind === 'host_result')?.msg).toBe('["localhost", "127.0.0.1"] 2299 2');
  const missing = await engine(['run', join(dir, 'site.yml'), '-i', join(dir, 'no-such-inventory.yml')]);
  expect(missing.code).toBe(5);
  expect(missing.stderr).toMatch(/not found/);
});

it('values print as Python prints them, in templates, in strings, through ~, string, join and lower, as under ansible-playbook', async () => {
  const dir = project({
    'inventory.yml': INVENTORY,
    'templates/values.j2': `flag = {{ flag }}
disabled = {{ disabled }}
nothing = {{ nothing }}
ports = {{ ports }}
names = {{ names }}
quoted = {{ quoted }}
conf = {{ conf }}
nested = {{ nested }}
tilde = {{ 'on:' ~ flag ~ ':' ~ ports }}
joined = {{ [flag, 1, 'a', nothing] | join(',') }}
lowered = {{ flag | lower }} {{ disabled | lower }}
string = {{ flag | string }} {{ ports | string }}
tested = {{ ports is defined }}
half = {{ 0.5 }} {{ 10 / 4 }}
`,
    'site.yml': `- hosts: all
  gather_facts: false
  vars:
    flag: true
    disabled: false
    nothing: null
    ports: [5060, 5061]
    names: ["a", "b c"]
    quoted: ["it's", 'say "hi"', "both ' and \\"", "tab\\tnew\\nline", "back\\\\slash"]
    conf: { enabled: true, name: pbx, list: [1, null] }
    nested: [{ a: [true] }, []]
  tasks:
    - template: { src: values.j2, dest: "{{ out }}/values.conf" }
    - copy: { content: "flag={{ flag }} ports={{ ports }} conf={{ conf }} none={{ nothing }}\\n", dest: "{{ out }}/inline.conf" }
`,
  });
  const results = await filesOfBothTools(dir);
  expect(results.engine).toEqual(results.ansible);
  expect(results.engine['values.conf']).toContain("conf = {'enabled': True, 'name': 'pbx', 'list': [1, None]}");
});
