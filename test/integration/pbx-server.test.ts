// The pbx_server module against the stand-in PBX's real management API (the pbx role's CGI under
// busybox httpd on 127.0.0.1, SQLite behind it): registration with check mode and diff, the
// built-in server turned off only once an extended one checks in, back on when it is ignored,
// refusals, deregistration, and a wrong token.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engine, project, recap, ROOT } from '../helpers/engine';

const STANDIN = join(ROOT, 'roles/pbx/files/standin');
const TOKEN = 'test-token-0123456789abcdef';
let dir: string;
let httpd: ChildProcess;
let api: string;
let inventory: string;

function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

async function get(
  collection: string,
): Promise<{ name: string; type: string; enabled: boolean; status: string; ipv4: string; max_concurrent_sessions: number | null }[]> {
  const res = await fetch(`${api}/${collection}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  return ((await res.json()) as { items: [] }).items;
}

/** What an extended server does while it runs: checks in with the PBX by name. */
const heartbeat = (name: string) =>
  fetch(`${api}/heartbeat`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ name }) });

async function task(args: Record<string, unknown>, flags: string[] = []) {
  const play = project({
    'play.yml': `- hosts: localhost\n  gather_facts: false\n  tasks:\n    - pbx_server: ${JSON.stringify({ api_url: api, api_token: TOKEN, ...args })}\n`,
  });
  return engine(['run', join(play, 'play.yml'), '-i', inventory, ...flags]);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pbx-api-'));
  mkdirSync(join(dir, 'www/cgi-bin'), { recursive: true });
  copyFileSync(join(STANDIN, 'api'), join(dir, 'www/cgi-bin/api'));
  execFileSync('sqlite3', ['-bail', join(dir, 'servers.sqlite')], { input: readFileSync(join(STANDIN, 'servers.sql')) });
  writeFileSync(join(dir, 'token'), TOKEN);
  const port = await freePort();
  httpd = spawn('busybox', ['httpd', '-f', '-p', `127.0.0.1:${port}`, '-h', join(dir, 'www')], {
    env: { ...process.env, PBX_SERVERS_DB: join(dir, 'servers.sqlite'), PBX_API_TOKEN_FILE: join(dir, 'token') },
    stdio: 'ignore',
  });
  api = `http://127.0.0.1:${port}/cgi-bin/api`;
  inventory = join(dir, 'hosts.yml');
  writeFileSync(inventory, 'all:\n  hosts:\n    localhost: { ansible_connection: local }\n');
  for (
    let i = 0;
    i < 50 &&
    !(await fetch(`${api}/media_servers`).then(
      () => true,
      () => false,
    ));
    i++
  )
    await new Promise((r) => setTimeout(r, 100));
});

afterAll(() => {
  if (httpd?.pid) process.kill(httpd.pid);
  rmSync(dir, { recursive: true, force: true });
});

describe('pbx_server against the stand-in PBX API', () => {
  const media1 = { kind: 'media', name: 'media1', ipv4: '10.0.0.5', max_concurrent_sessions: 4000 };

  it('registers an extended server: --check --diff shows it and writes nothing, then it is created once', async () => {
    const check = await task(media1, ['--check', '--diff']);
    expect(check.code, check.stdout).toBe(0);
    expect(check.stdout).toContain('+name: "media1"\n+ipv4: "10.0.0.5"\n+public_ipv4: ""\n+max_concurrent_sessions: 4000\n+enabled: true');
    expect((await get('media_servers')).map((s) => s.name)).toEqual(['BUILT_IN_MEDIA_SERVER']);
    expect(recap((await task(media1)).stdout).localhost.changed).toBe(1);
    expect(recap((await task(media1)).stdout).localhost.changed).toBe(0);
    const changed = await task({ ...media1, max_concurrent_sessions: 3000 }, ['--diff']);
    expect(changed.stdout).toContain('-max_concurrent_sessions: 4000\n+max_concurrent_sessions: 3000');
    expect((await get('media_servers')).find((s) => s.name === 'media1')).toMatchObject({
      ipv4: '10.0.0.5',
      max_concurrent_sessions: 3000,
      type: 'EXTENDED',
      status: 'OFFLINE',
    });
  });

  it('a server name with quotes and SQL reaches the PBX as data, round-trips exactly, and harms nothing', async () => {
    const name = `q1'; DROP TABLE servers; --"\\ $(touch /tmp/pbx-api-pwned)`;
    const run = await task({ kind: 'queue', name, ipv4: '10.0.0.9' });
    expect(run.code, run.stdout).toBe(0);
    expect((await get('call_queue_servers')).filter((s) => s.type === 'EXTENDED').map((s) => s.name)).toEqual([name]);
    expect((await get('media_servers')).map((s) => s.name)).toEqual(['BUILT_IN_MEDIA_SERVER', 'media1']);
    expect(existsSync('/tmp/pbx-api-pwned')).toBe(false);
    expect(recap((await task({ kind: 'queue', name, state: 'absent' })).stdout).localhost.changed).toBe(1);
    expect((await get('call_queue_servers')).filter((s) => s.type === 'EXTENDED')).toEqual([]);
  });

  it('turns the built-in server off only once an extended one is ONLINE, and on again when it is leaving', async () => {
    const auto = { kind: 'media', builtin: true, enabled: 'auto', wait_online: 1 };
    const refused = await task(auto);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toContain('no extended media server is ONLINE (media1 OFFLINE); the built-in media server stays on');
    expect((await get('media_servers'))[0]).toMatchObject({ name: 'BUILT_IN_MEDIA_SERVER', enabled: true });

    expect((await heartbeat('media1')).status).toBe(204);
    const off = await task(auto, ['--diff']);
    expect(off.code, off.stdout).toBe(0);
    expect(off.stdout).toContain('-enabled: true\n+enabled: false');
    expect((await get('media_servers'))[0]).toMatchObject({ enabled: false, status: 'DISABLED' });
    expect(recap((await task(auto)).stdout).localhost.changed).toBe(0);

    const back = await task({ ...auto, ignore: ['media1'] }, ['-v']);
    expect(back.stdout, back.stdout).toContain('built-in media server turned on');
    expect((await get('media_servers'))[0]).toMatchObject({ enabled: true, status: 'ONLINE' });
    // Another kind with no extended server: auto keeps its built-in server on, changing nothing.
    expect(recap((await task({ ...auto, kind: 'ivr' })).stdout).localhost.changed).toBe(0);
    // A dry run counts the servers the run would start (joining): its preview shows the change it cannot see yet.
    const preview = await task({ ...auto, kind: 'ivr', joining: ['ivr7'] }, ['--check', '--diff']);
    expect(preview.code, preview.stdout).toBe(0);
    expect(preview.stdout).toContain('-enabled: true\n+enabled: false');
    expect((await get('ivr_servers'))[0]).toMatchObject({ enabled: true });
    expect(recap((await task({ ...auto, kind: 'ivr', joining: ['ivr7'] })).stdout).localhost.changed).toBe(0);
  });

  it('deregisters; refuses contradictory arguments and a wrong token, naming the problem', async () => {
    const gone = await task({ kind: 'media', name: 'media1', state: 'absent' });
    expect(recap(gone.stdout).localhost.changed).toBe(1);
    expect((await get('media_servers')).map((s) => s.name)).toEqual(['BUILT_IN_MEDIA_SERVER']);
    expect((await heartbeat('media1')).status).toBe(404);

    const both = await task({ kind: 'media', name: 'x', builtin: true, ipv4: '10.0.0.9' });
    expect(both.stdout).toContain('give either name (an extended server) or builtin: true');
    const wrong = await engine([
      'run',
      join(
        project({
          'p.yml': `- hosts: localhost\n  gather_facts: false\n  tasks:\n    - pbx_server: { api_url: "${api}", api_token: nope, kind: queue, builtin: true }\n`,
        }),
        'p.yml',
      ),
      '-i',
      inventory,
    ]);
    expect(wrong.code).toBe(2);
    expect(wrong.stdout).toMatch(/call_queue_servers: 401 Unauthorized .*missing or wrong bearer token/);
  });
});
