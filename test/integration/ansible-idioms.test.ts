// Ansible content as people write it, run unchanged on the controller (local connection):
// key=value argument strings on the modules that take them in Ansible, and loops and lookups
// compared with what ansible-playbook makes of the same playbook.
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { engine, jsonEvents, project } from '../helpers/engine';
import { onTerminal } from '../helpers/output';

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
  // ansible-playbook alone takes 15-20 s here, more than a minute when the machine is loaded.
}, 180_000);

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

it("command's probe is the task variable engine_probe: ansible-playbook runs the task as it is, the engine's dry run reads the probe", async () => {
  const dir = project({
    'inventory.yml': INVENTORY,
    'site.yml': `- hosts: all
  gather_facts: false
  tasks:
    - shell: echo configured > {{ out }}/state
      vars: { engine_probe: "grep -qx configured {{ out }}/state" }
`,
  });
  const results = await filesOfBothTools(dir);
  expect(results.engine).toEqual({ state: 'configured\n' });
  expect(results.engine).toEqual(results.ansible);
  // The probe holds now: the engine's dry run says nothing would change, as a real run would not.
  const args = ['run', join(dir, 'site.yml'), '-i', join(dir, 'inventory.yml'), '-e', `out=${join(dir, 'out-engine')}`, '--check'];
  const check = await engine(args);
  expect(check.stdout).toMatch(/ok=1\s+changed=0/);
  writeFileSync(join(dir, 'out-engine', 'state'), 'other\n');
  expect((await engine(args)).stdout).toMatch(/ok=1\s+changed=1/);
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

it('--list-tasks, --list-hosts, --syntax-check and --start-at-task as ansible-playbook has them', async () => {
  const dir = project({
    'inventory.yml': `all:
  hosts:
    h1: { ansible_connection: local }
  children:
    web: { hosts: { h2: { ansible_connection: local }, h3: { ansible_connection: local } } }
    db: { hosts: { h3: {} } }
`,
    'roles/r/tasks/main.yml': '- name: role task\n  debug: msg=r\n',
    'site.yml': `- name: First
  hosts: h1
  gather_facts: false
  tags: [p]
  roles: [r]
  tasks:
    - name: A task
      debug: msg=a
      tags: [x, y]
    - debug: msg=b
    - block:
        - name: In block
          debug: msg=in
        - name: target
          debug: msg=target
      tags: [blk]
    - name: after
      debug: msg=after
- hosts: web:&db
  gather_facts: false
  tasks:
    - name: second play task
      debug: msg=second
`,
  });
  const both = async (...flags: string[]) => {
    const args = [join(dir, 'site.yml'), '-i', join(dir, 'inventory.yml'), ...flags];
    const ours = await engine(['run', ...args]);
    const theirs = await ansiblePlaybook(args);
    return { ours: ours.stdout, theirs: theirs.stdout, code: [ours.code, theirs.code] };
  };
  for (const flags of [['--list-tasks'], ['--list-tasks', '-t', 'x,blk'], ['--list-tasks', '--skip-tags', 'y'], ['--syntax-check']]) {
    const { ours, theirs, code } = await both(...flags);
    expect(code, flags.join(' ')).toEqual([0, 0]);
    expect(ours, flags.join(' ')).toBe(theirs);
  }
  // Hosts: the same per play (ansible-playbook lists them in an order of its own).
  const hosts = await both('--list-hosts', '--limit', 'h1,h3');
  const perPlay = (text: string) =>
    text
      .split('\n  play #')
      .slice(1)
      .map((p) => [p.split('\n')[0], ...p.split('\n').slice(1).filter(Boolean).sort()]);
  expect(perPlay(hosts.ours)).toEqual(perPlay(hosts.theirs));
  expect(perPlay(hosts.ours)[1]).toContain('      h3');
  // --start-at-task: the same plays shown and the same tasks run, inside a block too.
  const headers = (text: string) =>
    text
      .split('\n')
      .filter((l) => /^(PLAY|TASK) \[/.test(l))
      .map((l) => l.replace(/ \*+$/, ''));
  for (const at of ['target', 'second*']) {
    const { ours, theirs, code } = await both('--start-at-task', at);
    expect(code).toEqual([0, 0]);
    expect(headers(ours), at).toEqual(headers(theirs));
  }
  const wrong = await engine(['run', join(dir, 'site.yml'), '-i', join(dir, 'inventory.yml'), '--start-at-task', 'tagret']);
  expect(wrong.code).toBe(5);
  expect(wrong.stderr).toMatch(/--start-at-task 'tagret' matches no task the run would reach \(did you mean 'target'/);
});

it('vars_prompt: asked on a terminal (what is typed never shows), taken from -e, its default without a terminal, else a clear error', async () => {
  const dir = project({
    'inventory.yml': INVENTORY,
    'site.yml': `- hosts: all
  gather_facts: false
  vars_prompt:
    - name: secret_word
      prompt: Secret word
    - name: site
      prompt: Site
      private: false
      default: lab
  tasks:
    - copy: { content: "{{ secret_word }} {{ site }}\\n", dest: "{{ out }}/answers" }
`,
  });
  const out = join(dir, 'out');
  mkdirSync(out);
  const args = ['run', join(dir, 'site.yml'), '-i', join(dir, 'inventory.yml'), '-e', `out=${out}`];
  const unattended = await engine(args);
  expect(unattended.code).toBe(5);
  expect(unattended.stderr).toMatch(
    /site\.yml:4:7: field 'vars_prompt': vars_prompt 'secret_word' needs a terminal to ask 'Secret word'; give it with -e secret_word=/,
  );
  const given = await engine([...args, '-e', 'secret_word=given']);
  expect(given.code, given.stdout).toBe(0);
  expect(readFileSync(join(out, 'answers'), 'utf8')).toBe('given lab\n');
  const typed = await onTerminal([...args, '-e', 'site=hq'], { answer: { prompt: 'Secret word: ', typed: 'hunter2\r' } });
  expect(typed.code, typed.output).toBe(0);
  expect(typed.output).not.toContain('hunter2');
  expect(readFileSync(join(out, 'answers'), 'utf8')).toBe('hunter2 hq\n');
});

it('strategy: free lets each host go at its own pace; run_once there is refused at load', async () => {
  const dir = project({
    'inventory.yml': 'all:\n  hosts:\n    slow: { ansible_connection: local }\n    quick: { ansible_connection: local }\n',
    'site.yml': `- hosts: all
  gather_facts: false
  strategy: free
  tasks:
    - name: wait
      command: sleep 2
      when: inventory_hostname == 'slow'
    - name: done
      debug: msg="{{ inventory_hostname }} done, batch of {{ ansible_play_batch | length }}"
`,
    'once.yml': '- hosts: all\n  strategy: free\n  tasks:\n    - debug: msg=x\n      run_once: true\n',
  });
  const run = await engine(['run', join(dir, 'site.yml'), '-i', join(dir, 'inventory.yml'), '--json']);
  expect(run.code, run.stdout).toBe(0);
  const results = jsonEvents(run.stdout)
    .filter((e) => e.kind === 'host_result')
    .map((e) => `${e.task} ${e.host}`);
  // quick finished the play while slow was still waiting: under linear, 'done' waits for 'wait' on both.
  expect(results.indexOf('done quick')).toBeLessThan(results.indexOf('wait slow'));
  expect(results).toContain('done slow');
  // Each host runs on its own, in the play's batch all the same.
  const messages = jsonEvents(run.stdout)
    .filter((e) => e.kind === 'host_result' && e.task === 'done')
    .map((e) => e.msg)
    .sort();
  expect(messages).toEqual(['quick done, batch of 2', 'slow done, batch of 2']);
  writeFileSync(join(dir, 'linear.yml'), readFileSync(join(dir, 'site.yml'), 'utf8').replace('  strategy: free\n', ''));
  const linear = await engine(['run', join(dir, 'linear.yml'), '-i', join(dir, 'inventory.yml'), '--json']);
  expect(linear.code).toBe(0);
  const inOrder = jsonEvents(linear.stdout)
    .filter((e) => e.kind === 'host_result')
    .map((e) => `${e.task} ${e.host}`);
  expect(inOrder.indexOf('done quick')).toBeGreaterThan(inOrder.indexOf('wait slow'));
  const once = await engine(['run', join(dir, 'once.yml'), '-i', join(dir, 'inventory.yml')]);
  expect(once.code).toBe(5);
  expect(once.stderr).toMatch(/once\.yml:4:7: field 'run_once': run_once in a play with strategy: free/);
});

it('ansible.builtin filters on paths, hashes, sizes, sets, math and URLs give what they give under ansible-playbook', async () => {
  const dir = project({
    'inventory.yml': INVENTORY,
    'files/a.conf': 'a\n',
    'files/b.conf': 'b\n',
    'files/c.txt': 'c\n',
    'templates/filters.j2': `path_join = {{ ['/etc', 'pbx', 'x.conf'] | path_join }} {{ ['a', '/abs', 'b'] | path_join }}
splitext = {{ 'dir.d/file.tar.gz' | splitext }} {{ '.bashrc' | splitext }} {{ 'noext' | splitext }}
urldecode = {{ 'a%20b+c%2Fd' | urldecode }}
rekey = {{ [{'n': 'a', 'v': 1}, {'n': 'b', 'v': 2}] | rekey_on_member('n') }}
win = {{ 'C:\\\\Users\\\\x\\\\f.txt' | win_basename }} {{ 'C:\\\\Users\\\\x\\\\f.txt' | win_dirname }} {{ 'C:\\\\Users\\\\x' | win_splitdrive }}
hashes = {{ 'pbx' | md5 }} {{ 'pbx' | sha1 }} {{ 'pbx' | checksum }}
uuid = {{ 'pbx01' | to_uuid }} {{ 'pbx01' | to_uuid(namespace='6ba7b810-9dad-11d1-80b4-00c04fd430c8') }}
yaml_all = {{ "a: 1\\n---\\nb: [2]\\n" | from_yaml_all | list }}
human_readable = {{ 0 | human_readable }} {{ 10 | human_readable }} {{ 1024 | human_readable }} {{ 1536000 | human_readable }} {{ 2048 | human_readable(unit='M') }} {{ 1000 | human_readable(isbits=True) }}
human_to_bytes = {{ '10M' | human_to_bytes }} {{ '1.5 GB' | human_to_bytes }} {{ '2.5K' | human_to_bytes }} {{ '0.5' | human_to_bytes }} {{ '2' | human_to_bytes(default_unit='K') }} {{ '1Mb' | human_to_bytes(isbits=True) }}
sets = {{ [1, 2, 3, 2] | symmetric_difference([3, 4]) }}
math = {{ 8 | log(2) == 3 }} {{ 2 | pow(10) == 1024 }} {{ 16 | root == 4 }} {{ (27 | root(3) - 3) | abs < 0.0000001 }}
tuples = {{ ('a.b' | splitext)[1] }} {{ 'a.b' | splitext | list }} {{ [1] | zip_longest | list }}
zip_longest = {{ [1, 2, 3] | zip_longest(['a']) | list }} {{ [1, 2] | zip_longest(['a'], fillvalue='-') | list }}
product = {{ [1, 2] | product(['a', 'b']) | list }}
combinations = {{ [1, 2, 3] | combinations(2) | list }}
permutations = {{ [1, 2, 3] | permutations(2) | list }}
urlsplit = {{ 'https://user:pw@Pbx.Example.com:8443/api/v1?x=1#top' | urlsplit }}
urlsplit_host = {{ 'https://Pbx.Example.com:8443/api' | urlsplit('hostname') }} {{ 'http://h/p' | urlsplit('port') }}
expandvars = {{ '$HOME and \${NO_SUCH_VAR_X}' | expandvars == lookup('env', 'HOME') ~ ' and \${NO_SUCH_VAR_X}' }}
fileglob = {{ (playbook_dir ~ '/files/*.conf') | fileglob | map('basename') | sort }}
`,
    'site.yml': `- hosts: all
  gather_facts: false
  tasks:
    - template: { src: filters.j2, dest: "{{ out }}/filters.txt" }
`,
  });
  const results = await filesOfBothTools(dir);
  expect(results.engine['filters.txt']).toBe(results.ansible['filters.txt']);
});

it("lookup('password') makes the file once (0600), reads it after, keeps nothing for /dev/null, and is not run ahead of its task", async () => {
  const dir = project({
    'inventory.yml': INVENTORY,
    'site.yml': `- hosts: all
  gather_facts: false
  tasks:
    - stat: { path: "{{ playbook_dir }}/creds/db" }
      register: before
    - copy: { content: "{{ lookup('password', 'creds/db length=12 chars=digits') }}\\n", dest: "{{ out }}/db" }
    - copy: { content: "{{ lookup('password', 'creds/db') }}\\n", dest: "{{ out }}/db-again" }
    - copy: { content: "{{ lookup('password', '/dev/null length=5 chars=ascii_lowercase') | length }}\\n", dest: "{{ out }}/null" }
    - copy: { content: "{{ before.stat.exists }}\\n", dest: "{{ out }}/existed" }
`,
  });
  // The engine runs first and makes creds/db; ansible-playbook then reads the engine's file.
  const results = await filesOfBothTools(dir);
  // One expression before the newline: a boolean stays one, and copy writes it as Python prints it (no newline), as Ansible's.
  expect(results.engine.existed).toBe('False');
  expect(results.engine.db).toMatch(/^\d{12}\n$/);
  expect(results.engine['db-again']).toBe(results.engine.db);
  expect(results.engine.null).toBe('5\n');
  expect(results.ansible.db).toBe(results.engine.db);
  expect(readFileSync(join(dir, 'creds/db'), 'utf8')).toBe(results.engine.db);
  expect(statSync(join(dir, 'creds/db')).mode & 0o777).toBe(0o600);
});

it("lookup('ini') and the subelements filter give what they give under ansible-playbook", async () => {
  const dir = project({
    'inventory.yml': INVENTORY,
    'files/users.ini': `# users
[DEFAULT]
base = /srv

[integration]
user = yannig
User2 = Alice
path = %(base)s/data
pct = 100%%
note: a value with ; a semicolon
long = first line
  second line

[production]
user = bob
`,
    'files/app.properties': 'db.user = pbx\ndb.pass: secret\n',
    'templates/ini.j2': `ini = {{ lookup('ini', 'user', section='integration', file='users.ini') }} {{ lookup('ini', 'user section=production file=users.ini') }}
case = {{ lookup('ini', 'user2', section='integration', file='users.ini') }} {{ lookup('ini', 'User2', section='integration', file='users.ini', case_sensitive=True) }}
interp = {{ lookup('ini', 'path', section='integration', file='users.ini') }} {{ lookup('ini', 'pct', section='integration', file='users.ini') }} {{ lookup('ini', 'base', section='integration', file='users.ini') }}
text = {{ lookup('ini', 'note', section='integration', file='users.ini') }} / {{ lookup('ini', 'long', section='integration', file='users.ini') }}
default = {{ lookup('ini', 'nokey', section='integration', file='users.ini', default='dflt') }}
re = {{ lookup('ini', 'us.*', section='integration', file='users.ini', re=True) }} {{ query('ini', 'us.*', section='integration', file='users.ini', re=True) }}
props = {{ lookup('ini', 'db.user', type='properties', file='app.properties') }} {{ lookup('ini', 'db.pass type=properties file=app.properties') }}
subelements = {{ users | subelements('groups') }} {{ users | subelements('extra.tags', skip_missing=True) }}
`,
    'site.yml': `- hosts: all
  gather_facts: false
  vars:
    users:
      - { name: alice, groups: [wheel, pbx], extra: { tags: [a] } }
      - { name: bob, groups: [] }
  tasks:
    - template: { src: ini.j2, dest: "{{ out }}/ini.txt" }
`,
  });
  const results = await filesOfBothTools(dir);
  expect(results.engine['ini.txt']).toBe(results.ansible['ini.txt']);
  expect(results.engine['ini.txt']).toContain('interp = /srv/data 100% /srv');
});

it('looped includes, handlers that include, set_fact seen by the next item, Python comparisons, !unsafe and text read back as a literal: as under ansible-playbook', async () => {
  const dir = project({
    'inventory.yml': INVENTORY,
    'step.yml': `- copy: { content: "{{ item }} {{ ansible_loop.index }}/{{ ansible_loop.length }} {{ outer }}\\n", dest: "{{ out }}/step-{{ item }}" }
`,
    'handler.yml': `- copy: { content: "handled\\n", dest: "{{ out }}/handled" }
`,
    'site.yml': `- hosts: all
  gather_facts: false
  vars:
    outer: kept
    raw: !unsafe '{{ not_templated }}'
    l: [1, 'a']
  handlers:
    - name: by include
      include_tasks: handler.yml
  tasks:
    - include_tasks: step.yml
      loop: [a, b]
      loop_control: { extended: true }
    - set_fact: { acc: "{{ acc | default([]) + [item] }}" }
      loop: [1, 2, 3]
    - set_fact:
        folded: >
          {{ ['x'] + ['y'] }}
        number: "{{ 5 }}\\n"
        json_text: "{{ l | to_json }}\\n"
        flag: "{{ true }}\\n"
        built: "[{{ 1 }}, 2]"
        nothing: "{{ {'a': 1}.get('b') }}"
        unset: "{{ none_var }}"
      vars: { none_var: null }
    - command: /bin/true
      notify: by include
    - copy:
        dest: "{{ out }}/values"
        content: |
          {{ acc }} {{ folded }} {{ folded is string }} {{ number is string }} {{ json_text is string }} {{ flag is boolean }} {{ built[1] }}
          {{ nothing == '' }} {{ unset is none }} {{ raw }}
          {{ [(['b'] + ['a']) | unique | sort == ['a', 'b'], [1, [2]] == [1, [2]], '1' == 1, true == 1, [2] in [[2]], 1 < 2 < 3, 3 > 2 > 2, [1, 2] < [1, 3]] }}
          {{ [1, 2] | union([2, 3]) }} {{ [{'a': 1}, {'a': 1}] | unique }} {{ ['a', 'A'] | unique }} {{ 'abc' is contains('b') }} {{ [1] is issubset([1, 2]) }}
    - copy: { content: "{{ l }}\\n", dest: "{{ out }}/list-content" }
`,
  });
  const results = await filesOfBothTools(dir);
  expect(results.engine).toEqual(results.ansible);
  expect(Object.keys(results.engine).sort()).toEqual(['handled', 'list-content', 'step-a', 'step-b', 'values']);
  expect(results.engine['step-b']).toBe('b 2/2 kept\n');
  expect(results.engine.values.split('\n')[1]).toBe('True True {{ not_templated }}');
});

it("action and local_action, parse_kv's quotes and escapes, !unsafe lists and maps, groupby, format, a lookup's refusal in a loop and in a template: as under ansible-playbook", async () => {
  const dir = project({
    'inventory.yml': INVENTORY,
    'site.yml': `- hosts: all
  gather_facts: false
  vars:
    fruits: [{ name: apple, enjoy: yes }, { name: pear, enjoy: no }, { name: fig, enjoy: yes }]
    ulist: !unsafe ['{{ nottemplate }}', b]
    umap: !unsafe { a: '{{ nottemplate }}' }
    nottemplate: FAIL
  tasks:
    - action: copy content="tab\\there {{ '%s=%03d' | format('n', 7) }}" dest={{ out }}/kv
    - local_action:
        module: copy
        content: "{{ fruits | groupby('enjoy') }} {{ ulist }} {{ umap.a }} {{ {'msg': 'no file here'} is search('no file') }}"
        dest: "{{ out }}/local"
    - debug: msg="{{ item }}"
      with_sequence: start=1 junk=3
      register: seq
      ignore_errors: true
    - debug: msg="{{ lookup('sequence', 'start=1') }}"
      register: tmpl
      ignore_errors: true
    - copy:
        dest: "{{ out }}/refusals"
        content: "{{ seq.msg }} | {{ 'must specify count or end in with_sequence' in tmpl.msg }} | {{ ansible_host == inventory_hostname }}"
    - copy:
        dest: "{{ out }}/hostvars"
        content: "{{ 'hostvars' in hostvars[inventory_hostname] }} {{ (hostvars[inventory_hostname] | to_json | from_json).out == out }}"
`,
  });
  const results = await filesOfBothTools(dir);
  expect(results.engine).toEqual(results.ansible);
  expect(results.engine.kv).toBe('tab\there n=007');
  expect(results.engine.refusals).toBe("unrecognized arguments to with_sequence: ['junk'] | True | True");
  expect(results.engine.hostvars).toBe('False True');
});

it('async with poll: 0 read by async_status, async with poll, a job over its time, and script: as under ansible-playbook', async () => {
  const dir = project({
    'inventory.yml': INVENTORY,
    'files/hello.sh': '#!/bin/sh\necho "hello $1"\necho "to stderr" >&2\n',
    'site.yml': `- hosts: all
  gather_facts: false
  tasks:
    - shell: sleep 1; echo "bg done" > {{ out }}/bg.txt; echo out
      async: 20
      poll: 0
      register: job
    - copy: { dest: "{{ out }}/started.txt", content: "{{ job.finished }} {{ job.started }} {{ job.ansible_job_id is string }} {{ job is changed }}" }
    - async_status: jid={{ job.ansible_job_id }}
      register: status
      until: status.finished
      retries: 30
      delay: 1
    - copy: dest={{ out }}/status.txt content="{{ status.stdout }} {{ status.rc }} {{ status.changed }} {{ status.cmd is search('bg done') }}"
    - command: echo polled
      async: 10
      poll: 1
      register: polled
    - shell: sleep 30
      async: 2
      poll: 1
      register: late
      ignore_errors: true
    - script: hello.sh "a b"
      register: scripted
    - copy: dest={{ out }}/rest.txt content="{{ polled.stdout }} {{ polled.finished }} {{ late is failed }} {{ late.msg }} {{ scripted.stdout_lines }} {{ scripted.stderr_lines }} {{ scripted.rc }}"
`,
  });
  const results = await filesOfBothTools(dir);
  expect(results.engine['bg.txt']).toBe('bg done\n');
  expect(results.engine['rest.txt']).toContain('async task did not complete within the requested time - 2s');
  expect(results.engine).toEqual(results.ansible);
}, 180_000);
