// A playbook written for Ansible gives the same result with this engine: same files, contents and
// modes on the same hosts, and each tool finds the other's result already converged.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { engine, recap, ROOT } from '../helpers/engine';
import { type HostSet, startHosts } from '../helpers/sshd';

const PLAYBOOK = join(ROOT, 'bench/site/playbook.yml');
let set: HostSet;
let inventory: string;

beforeAll(async () => {
  set = await startHosts(2, 'par');
  inventory = set.inventory();
});
afterAll(async () => set?.stop());

/** Ansible's ssh masters linger for ControlPersist after the run: 5 s here, so the test leaves none behind. */
function ansible(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((done) => {
    execFile(
      'ansible-playbook',
      [PLAYBOOK, '-i', inventory, ...args],
      {
        env: {
          ...process.env,
          ANSIBLE_CONFIG: join(ROOT, 'bench/site/ansible.cfg'),
          ANSIBLE_NOCOLOR: '1',
          ANSIBLE_SSH_ARGS: '-o ControlMaster=auto -o ControlPersist=5s',
        },
        maxBuffer: 1 << 26,
      },
      (err, stdout) => done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout }),
    );
  });
}

/** Relative path → content hash and mode of everything the playbook made on both hosts. */
function result(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of set.hosts) {
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        const st = statSync(p);
        const key = `${h.name}:${relative(h.root, p)}`;
        if (st.isDirectory()) {
          out[key] = `dir ${(st.mode & 0o7777).toString(8)}`;
          walk(p);
        } else if (!name.startsWith('reloaded')) out[key] = `${createHash('sha256').update(readFileSync(p)).digest('hex')} ${(st.mode & 0o7777).toString(8)}`;
        else out[key] = 'handler ran';
      }
    };
    walk(join(h.root, 'b'));
  }
  return out;
}

const wipe = () => {
  for (const h of set.hosts) rmSync(join(h.root, 'b'), { recursive: true, force: true });
};

it('produces the same files as ansible-playbook, and each tool sees the other as converged', async () => {
  const byAnsible = await ansible([]);
  expect(byAnsible.code, byAnsible.stdout.slice(-3000)).toBe(0);
  const ansibleResult = result();
  expect(Object.keys(ansibleResult).length).toBeGreaterThan(20);

  const oursOnAnsibles = await engine(['run', PLAYBOOK, '-i', inventory]);
  expect(oursOnAnsibles.code).toBe(0);
  for (const s of Object.values(
    recap(
      oursOnAnsibles.stdout,
      set.hosts.map((h) => h.name),
    ),
  ))
    expect(s.changed).toBe(0);

  wipe();
  const byEngine = await engine(['run', PLAYBOOK, '-i', inventory]);
  expect(byEngine.code).toBe(0);
  expect(result()).toEqual(ansibleResult);

  const ansibleOnOurs = await ansible([]);
  expect(ansibleOnOurs.code).toBe(0);
  for (const s of Object.values(
    recap(
      ansibleOnOurs.stdout,
      set.hosts.map((h) => h.name),
    ),
  ))
    expect(s.changed).toBe(0);
}, 180_000);
