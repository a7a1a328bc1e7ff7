// Task keywords and their semantics, on two real sshd hosts.
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engine, project, recap } from '../helpers/engine';
import { type HostSet, startHosts } from '../helpers/sshd';

let set: HostSet;
let inventory: string;

beforeAll(async () => {
  set = await startHosts(2, 'kw');
  inventory = set.inventory({}, { first: ['kw1'], second: ['kw2'] });
});
afterAll(async () => set?.stop());

const read = (host: number, path: string) => readFileSync(join(set.hosts[host].root, path), 'utf8');
const exists = (host: number, path: string) => existsSync(join(set.hosts[host].root, path));

async function play(yaml: string, args: string[] = [], files: Record<string, string> = {}) {
  const dir = project({ 'play.yml': yaml, ...files });
  return engine(['run', join(dir, 'play.yml'), '-i', inventory, ...args]);
}

describe('task keywords', () => {
  it('block/rescue/always: a rescued failure counts as rescued, always runs', async () => {
    const run = await play(`
- hosts: all
  gather_facts: false
  tasks:
    - block:
        - command: /bin/false
          when: inventory_hostname == 'kw1'
        - copy: { content: "after\\n", dest: "{{ root }}/after-block" }
      rescue:
        - copy: { content: "rescued\\n", dest: "{{ root }}/rescued" }
      always:
        - copy: { content: "always\\n", dest: "{{ root }}/always" }
`);
    expect(run.code).toBe(0);
    const stats = recap(run.stdout);
    expect(stats.kw1).toMatchObject({ failed: 0, rescued: 1 });
    expect(stats.kw2).toMatchObject({ failed: 0, rescued: 0 });
    expect([exists(0, 'after-block'), exists(0, 'rescued'), exists(0, 'always')]).toEqual([false, true, true]);
    expect([exists(1, 'after-block'), exists(1, 'rescued'), exists(1, 'always')]).toEqual([true, false, true]);
  });

  it("a task delegated to an inventory host outside the play runs there, with that host's variables", async () => {
    const run = await play(`
- hosts: first
  gather_facts: false
  tasks:
    - shell: echo "$SSH_CONNECTION"
      delegate_to: kw2
      register: there
    - copy: { content: "{{ there.stdout.split()[2] }}\\n", dest: "{{ root }}/delegated-address" }
`);
    expect(run.code).toBe(0);
    expect(read(0, 'delegated-address')).toBe(`${set.hosts[1].address}\n`);
  });

  it('add_host runs once and the next play reaches the new host; group_by groups each host by its own key', async () => {
    const run = await play(`
- hosts: all
  gather_facts: false
  tasks:
    - add_host:
        name: spare
        groups: late
        ansible_host: "{{ hostvars['kw2'].ansible_host }}"
        ansible_port: "{{ hostvars['kw2'].ansible_port }}"
        ansible_user: "{{ hostvars['kw2'].ansible_user }}"
        root: "{{ hostvars['kw2'].root }}"
        engine_lock_file: "{{ hostvars['kw2'].engine_lock_file }}"
      register: added
    - group_by: key="side_{{ 'one' if inventory_hostname == 'kw1' else 'two' }}"
- hosts: late
  gather_facts: false
  tasks:
    - copy: { content: "{{ inventory_hostname }} in {{ group_names | join(',') }}\\n", dest: "{{ root }}/added-host" }
- hosts: side_one
  gather_facts: false
  tasks:
    - copy: { content: "{{ groups['side_two'] | join(',') }}\\n", dest: "{{ root }}/grouped" }
`);
    expect(run.code).toBe(0);
    // Once for the play's two hosts (Ansible's bypass of the host loop), its result shared.
    expect(run.stdout.match(/TASK \[add_host\][\s\S]*?(?=TASK)/)![0].match(/changed: /g)).toHaveLength(1);
    expect(read(1, 'added-host')).toBe('spare in late\n');
    expect(read(0, 'grouped')).toBe('kw2\n');
    expect(exists(1, 'grouped')).toBe(false);
    expect(recap(run.stdout).spare).toMatchObject({ changed: 1, failed: 0 });
  });

  it('loop with loop_control (a templated loop_var), register of results, set_fact, run_once, delegate_to', async () => {
    const run = await play(`
- hosts: all
  gather_facts: false
  tasks:
    - command: echo {{ n }}
      loop: [a, b, c]
      # loop_var is templated, as Ansible's (ansible/ansible#58820).
      loop_control: { loop_var: "{{ loop_name }}", index_var: i, label: "item {{ i }}" }
      vars: { loop_name: n }
      register: echoes
    - set_fact:
        joined: "{{ echoes.results | map(attribute='stdout') | join('-') }}"
    - copy: { content: "{{ joined }}\\n", dest: "{{ root }}/joined" }
    - command: date +%s%N
      run_once: true
      register: once
    - copy: { content: "{{ once.stdout }}\\n", dest: "{{ root }}/once" }
    - copy: { content: "from {{ inventory_hostname }}\\n", dest: "{{ hostvars['kw2'].root }}/delegated-by-{{ inventory_hostname }}" }
      delegate_to: kw2
`);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('(item=item 2)');
    expect(read(0, 'joined')).toBe('a-b-c\n');
    expect(read(0, 'once')).toBe(read(1, 'once'));
    expect(run.stdout.match(/TASK \[command\][\s\S]*?(?=TASK)/g)![1].match(/changed: /g)).toHaveLength(1);
    expect(read(1, 'delegated-by-kw1')).toBe('from kw1\n');
    expect(run.stdout).toContain('[kw1 -> kw2]');
  });

  it('retries/until, failed_when, changed_when, ignore_errors', async () => {
    const run = await play(`
- hosts: kw1
  gather_facts: false
  tasks:
    - shell: n=$(cat {{ root }}/count 2>/dev/null || echo 0); echo $((n+1)) > {{ root }}/count; echo $((n+1))
      register: counter
      until: counter.stdout | int >= 3
      retries: 5
      delay: 0
    - command: /bin/false
      failed_when: false
      changed_when: false
    - command: /bin/false
      ignore_errors: true
    - command: echo still running
`);
    expect(run.code).toBe(0);
    expect(read(0, 'count')).toBe('3\n');
    expect(recap(run.stdout).kw1).toMatchObject({ failed: 0, ignored: 1 });
    expect(run.stdout).toContain('...ignoring');
  });

  it('meta end_host and end_play act only where their when holds', async () => {
    const run = await play(`
- hosts: all
  gather_facts: false
  tasks:
    - meta: end_host
      when: inventory_hostname == 'kw2'
    - meta: end_play
      when: false
    - copy: { content: "ran\\n", dest: "{{ root }}/after-meta" }
    - meta: end_play
      when: inventory_hostname == 'kw1'
    - copy: { content: "ran\\n", dest: "{{ root }}/after-end-play" }
`);
    expect(run.code, run.stdout).toBe(0);
    expect([exists(0, 'after-meta'), exists(1, 'after-meta')]).toEqual([true, false]);
    expect(exists(0, 'after-end-play')).toBe(false);
  });

  it('include_tasks, import_tasks, include_role and handlers with listen and flush_handlers', async () => {
    const run = await play(
      `
- hosts: all
  gather_facts: false
  tasks:
    - import_tasks: common.yml
    - include_tasks: "{{ inventory_hostname }}.yml"
    - include_role: { name: extra }
    - meta: flush_handlers
    - command: cat {{ root }}/handled
      register: handled
      changed_when: false
    - assert: { that: ["handled.stdout == 'handled'"] }
  handlers:
    - name: mark
      listen: something changed
      copy: { content: "handled", dest: "{{ root }}/handled" }
`,
      [],
      {
        'common.yml': '- copy: { content: "common\\n", dest: "{{ root }}/common" }\n  notify: something changed\n',
        'kw1.yml': '- copy: { content: "one\\n", dest: "{{ root }}/which" }\n',
        'kw2.yml': '- copy: { content: "two\\n", dest: "{{ root }}/which" }\n',
        'roles/extra/tasks/main.yml': '- copy: { content: "{{ extra_value }}\\n", dest: "{{ root }}/extra" }\n',
        'roles/extra/defaults/main.yml': 'extra_value: from-role-defaults\n',
      },
    );
    expect(run.code).toBe(0);
    expect([read(0, 'which'), read(1, 'which')]).toEqual(['one\n', 'two\n']);
    expect(read(1, 'extra')).toBe('from-role-defaults\n');
    expect(read(0, 'common')).toBe('common\n');
  });

  it('--role runs that role whole, roles it includes too, and no other role', async () => {
    const run = await play('- hosts: all\n  gather_facts: false\n  roles: [outer, other]\n', ['--role', 'outer'], {
      'roles/outer/tasks/main.yml':
        '- include_role: { name: inner, tasks_from: part }\n  vars: { word: included }\n- copy: { content: "outer\\n", dest: "{{ root }}/outer" }\n',
      'roles/inner/tasks/part.yml': '- copy: { content: "{{ word }}\\n", dest: "{{ root }}/inner" }\n',
      'roles/other/tasks/main.yml': '- copy: { content: "other\\n", dest: "{{ root }}/other" }\n',
    });
    expect(run.code, run.stdout).toBe(0);
    expect([read(0, 'outer'), read(0, 'inner')]).toEqual(['outer\n', 'included\n']);
    expect(exists(0, 'other')).toBe(false);
  });

  it('serial batches hosts; any_errors_fatal stops the play and the rest of the playbook', async () => {
    const serial = await play(`
- hosts: all
  gather_facts: false
  serial: 1
  tasks:
    - shell: date +%s%N > {{ root }}/serial-a; sleep 0.2
    - shell: date +%s%N > {{ root }}/serial-b
`);
    expect(serial.code).toBe(0);
    // With serial 1, kw1 finished both tasks before kw2 started the first.
    expect(Number(read(0, 'serial-b'))).toBeLessThan(Number(read(1, 'serial-a')));
    const fatal = await play(`
- hosts: all
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - command: /bin/false
      when: inventory_hostname == 'kw2'
    - copy: { content: "x", dest: "{{ root }}/after-fatal" }

- hosts: all
  gather_facts: false
  tasks:
    - copy: { content: "x", dest: "{{ root }}/next-play" }
`);
    expect(fatal.code).toBe(2);
    expect(exists(0, 'after-fatal')).toBe(false);
    // As in Ansible: a later play would act on a half-done change, so it does not run either.
    expect([exists(0, 'next-play'), exists(1, 'next-play')]).toEqual([false, false]);
    // With serial, the later batches do not run.
    const batches = await play(`
- hosts: all
  gather_facts: false
  serial: 1
  any_errors_fatal: true
  tasks:
    - command: /bin/false
      when: inventory_hostname == 'kw1'
    - copy: { content: "x", dest: "{{ root }}/later-batch" }
`);
    expect(batches.code).toBe(2);
    expect([exists(0, 'later-batch'), exists(1, 'later-batch')]).toEqual([false, false]);
  });

  it('become runs as root through sudo; environment reaches the command', async () => {
    const run = await play(`
- hosts: kw1
  gather_facts: false
  tasks:
    - command: id -un
      become: true
      register: who
    - shell: echo "$GREETING" > {{ root }}/env
      environment: { GREETING: "hello from env" }
    - copy: { content: "{{ who.stdout }}\\n", dest: "{{ root }}/who" }
`);
    expect(run.code).toBe(0);
    expect(read(0, 'who')).toBe('root\n');
    expect(read(0, 'env')).toBe('hello from env\n');
  });

  it('command predicts its change exactly in check mode (creates, removes, probe)', async () => {
    const yaml = `
- hosts: kw1
  gather_facts: false
  tasks:
    - name: with creates
      command: touch {{ root }}/created
      args: { creates: "{{ root }}/created" }
    - name: with probe
      shell: echo configured > {{ root }}/probed
      vars: { engine_probe: "grep -q configured {{ root }}/probed" }
`;
    const check = await play(yaml, ['--check']);
    expect(recap(check.stdout).kw1.changed).toBe(2);
    expect(exists(0, 'created') || exists(0, 'probed')).toBe(false);
    const real = await play(yaml);
    expect(recap(real.stdout).kw1.changed).toBe(2);
    const again = await play(yaml, ['--check']);
    expect(recap(again.stdout).kw1.changed).toBe(0);
  });

  it('no_log hides secrets from every output, -v and --json included', async () => {
    const secret = 'S3cr3t-Value-42';
    const yaml = `
- hosts: kw1
  gather_facts: false
  vars: { password: "${secret}" }
  tasks:
    - copy: { content: "{{ password }}", dest: "{{ root }}/secret", mode: "0600" }
      no_log: true
    - command: echo {{ password }}
      no_log: true
    - command: /bin/false {{ password }}
      no_log: true
      ignore_errors: true
`;
    for (const flags of [
      ['-v', '--diff'],
      ['--json', '--diff', '-v'],
    ]) {
      const run = await play(yaml, flags);
      expect(run.stdout + run.stderr).not.toContain(secret);
      expect(run.stdout).toContain('hidden');
    }
    expect(read(0, 'secret')).toBe(secret);
  });

  it('--json prints one event per line', async () => {
    const run = await play(
      `
- hosts: all
  gather_facts: false
  tasks:
    - debug: { msg: "hi" }
`,
      ['--json'],
    );
    const events = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const kinds = events.map((e) => e.kind);
    expect(kinds.slice(0, 3)).toEqual(['playbook_start', 'play_start', 'task_start']);
    expect(kinds.slice(-2)).toEqual(['task_end', 'recap']);
    // The hosts run side by side: each host's start comes before its result.
    for (const host of ['kw1', 'kw2']) {
      const at = (kind: string) => events.findIndex((e) => e.kind === kind && e.host === host);
      expect(at('host_start')).toBeGreaterThan(2);
      expect(at('host_result')).toBeGreaterThan(at('host_start'));
    }
    expect(kinds.length).toBe(9);
    expect(events[8].stats.kw1.ok).toBe(1);
  });
});

describe('hostile values', () => {
  it('quotes, $(...), backticks, ; and newlines reach the host as plain data', async () => {
    const hostile = `it's "q" $(touch PWNED1) \`touch PWNED2\`; touch PWNED3 | touch PWNED4 && touch PWNED5\ntouch PWNED6 $HOME *`;
    const yaml = `
- hosts: kw1
  gather_facts: false
  tasks:
    - file: { path: "{{ root }}/hostile", state: directory }
    - copy: { content: "{{ evil }}", dest: "{{ root }}/hostile/{{ evil_name }}" }
    - lineinfile: { path: "{{ root }}/hostile/lines", line: "{{ evil }}", create: true }
    - command: printf '%s' {{ evil | quote }}
      args: { chdir: "{{ root }}/hostile" }
      register: printed
    - command:
        argv: [printf, "%s", "{{ evil }}"]
        chdir: "{{ root }}/hostile"
      register: printed_argv
    - shell: printf '%s' {{ evil | quote }} > out
      args: { chdir: "{{ root }}/hostile" }
      environment: { EVIL: "{{ evil }}" }
    - assert:
        that:
          - printed.stdout == evil
          - printed_argv.stdout == evil
`;
    const dir = project({
      'play.yml': yaml,
      'vars.yml': `evil: ${JSON.stringify(hostile)}\nevil_name: ${JSON.stringify("x';touch PWNED7;'$(touch PWNED8)")}\n`,
    });
    const run = await engine(['run', join(dir, 'play.yml'), '-i', inventory, '-e', `@${join(dir, 'vars.yml')}`]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const hostileDir = join(set.hosts[0].root, 'hostile');
    expect(readdirSync(hostileDir).filter((f) => f.startsWith('PWNED'))).toEqual([]);
    expect(readdirSync(set.hosts[0].root).filter((f) => f.startsWith('PWNED'))).toEqual([]);
    expect(readdirSync('/var/lib/enginetest').filter((f) => f.startsWith('PWNED'))).toEqual([]);
    expect(readFileSync(join(hostileDir, "x';touch PWNED7;'$(touch PWNED8)"), 'utf8')).toBe(hostile);
    expect(readFileSync(join(hostileDir, 'out'), 'utf8')).toBe(hostile);
    expect(readFileSync(join(hostileDir, 'lines'), 'utf8')).toBe(`${hostile}\n`);
  });

  it('the same holds for file, template, user, service, apt and become_user: values are data or refused, never run', async () => {
    const root = set.hosts[0].root;
    // Each payload tries to create a file by absolute path; none may appear.
    const evil = `x$(touch ${root}/PWN1)\`touch ${root}/PWN2\`;touch ${root}/PWN3'"`;
    const yaml = `
- hosts: kw1
  gather_facts: false
  tasks:
    - file: { path: "{{ root }}/data", state: directory }
    - file: { path: "{{ root }}/data/{{ evil | replace('/', '_') }}", state: touch }
    - template: { src: t.j2, dest: "{{ root }}/data/t-{{ evil | replace('/', '_') }}" }
    - user: { name: enginehostile, comment: "{{ evil | replace(':', '_') }}", create_home: false, shell: /bin/sh }
      become: true
    - user: { name: enginehostile, state: absent }
      become: true
    - service: { name: "{{ evil }}", state: started }
      become: true
      ignore_errors: true
    - apt: { name: "{{ evil }}", state: present }
      become: true
      ignore_errors: true
    - command: id -un
      become: true
      become_user: "{{ evil }}"
      ignore_errors: true
`;
    const dir = project({ 'play.yml': yaml, 'templates/t.j2': '{{ evil }}\n', 'vars.yml': `evil: ${JSON.stringify(evil)}\n` });
    const run = await engine(['run', join(dir, 'play.yml'), '-i', inventory, '-e', `@${join(dir, 'vars.yml')}`]);
    expect(run.code, run.stdout).toBe(0);
    expect(recap(run.stdout).kw1).toMatchObject({ failed: 0, ignored: 3 });
    expect(readdirSync(root).filter((f) => f.startsWith('PWN'))).toEqual([]);
    const name = evil.replace(/\//g, '_');
    expect(readFileSync(join(root, 'data', name), 'utf8')).toBe('');
    expect(readFileSync(join(root, 'data', `t-${name}`), 'utf8')).toBe(`${evil}\n`);
  });
});

describe('selection, failure budget and secrets', () => {
  it('--tags and --skip-tags pick tasks, always still runs', async () => {
    const yaml = `
- hosts: kw1
  gather_facts: false
  tasks:
    - copy: { content: "a", dest: "{{ root }}/tag-a" }
      tags: [alpha]
    - copy: { content: "b", dest: "{{ root }}/tag-b" }
      tags: [beta]
    - copy: { content: "c", dest: "{{ root }}/tag-always" }
      tags: [always]
`;
    const run = await play(yaml, ['--tags', 'alpha']);
    expect(run.code).toBe(0);
    expect([exists(0, 'tag-a'), exists(0, 'tag-b'), exists(0, 'tag-always')]).toEqual([true, false, true]);
    rmSync(join(set.hosts[0].root, 'tag-a'));
    rmSync(join(set.hosts[0].root, 'tag-always'));
    const skip = await play(yaml, ['--skip-tags', 'alpha']);
    expect(skip.code).toBe(0);
    expect([exists(0, 'tag-a'), exists(0, 'tag-b'), exists(0, 'tag-always')]).toEqual([false, true, true]);
  });

  it('max_fail_percentage stops the play once too many hosts failed', async () => {
    const run = await play(`
- hosts: all
  gather_facts: false
  max_fail_percentage: 40
  tasks:
    - command: /bin/false
      when: inventory_hostname == 'kw1'
    - copy: { content: "x", dest: "{{ root }}/after-budget" }

- hosts: all
  gather_facts: false
  tasks:
    - copy: { content: "x", dest: "{{ root }}/after-budget-play" }
`);
    expect(run.code).toBe(2);
    expect(exists(1, 'after-budget')).toBe(false);
    expect(exists(1, 'after-budget-play')).toBe(false);
  });

  it('decrypts a vaulted vars file with --vault-password-file', async () => {
    const { encryptVault } = await import('../../engine/core/load/vault');
    const dir = project({
      'play.yml': `- hosts: kw1\n  gather_facts: false\n  vars_files: [secrets.yml]\n  tasks:\n    - copy: { content: "{{ hacluster_password }}", dest: "{{ root }}/vaulted" }\n      no_log: true\n`,
      'secrets.yml': encryptVault('hacluster_password: from-the-vault\n', 'vault pw'),
      pw: 'vault pw\n',
    });
    const without = await engine(['run', join(dir, 'play.yml'), '-i', inventory]);
    expect(without.code).toBe(5);
    expect(without.stderr).toContain('secrets.yml:1:1: encrypted with ansible-vault: pass --vault-password-file');
    const run = await engine(['run', join(dir, 'play.yml'), '-i', inventory, '--vault-password-file', join(dir, 'pw')]);
    expect(run.code).toBe(0);
    expect(read(0, 'vaulted')).toBe('from-the-vault');
  });

  it('a !vault value needs the password only where a task uses it, as in Ansible', async () => {
    const { encryptVault } = await import('../../engine/core/load/vault');
    const secret = encryptVault('s3cret', 'vault pw')
      .split('\n')
      .map((line) => `      ${line}`)
      .join('\n');
    const dir = project({
      'play.yml': `- hosts: kw1\n  gather_facts: false\n  vars:\n    token: !vault |\n${secret}\n  tasks:\n    - copy: { content: "unused\\n", dest: "{{ root }}/before-vault" }\n    - copy: { content: "{{ token }}", dest: "{{ root }}/vault-value" }\n`,
      pw: 'vault pw\n',
    });
    const without = await engine(['run', join(dir, 'play.yml'), '-i', inventory]);
    expect(without.code).toBe(2);
    expect(read(0, 'before-vault')).toBe('unused\n');
    expect(without.stdout).toContain('Attempting to decrypt but no vault secrets found');
    expect(exists(0, 'vault-value')).toBe(false);
    const run = await engine(['run', join(dir, 'play.yml'), '-i', inventory, '--vault-password-file', join(dir, 'pw')]);
    expect(run.code).toBe(0);
    expect(read(0, 'vault-value')).toBe('s3cret');
  });
});
