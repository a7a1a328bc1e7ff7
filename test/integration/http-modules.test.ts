// uri and get_url against an HTTP server this test starts on 127.0.0.1: the host (a loopback sshd
// on this machine) makes the requests with its curl; the server counts what reached it, so a dry
// run that sends a POST, or a password that reaches an argv, would show.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { engine, project, recap } from '../helpers/engine';
import { type HostSet, startHosts, TEST_USER } from '../helpers/sshd';

const PAYLOAD = 'the file served\n';
const posted: string[] = [];
const uploads: { type: string; body: Buffer }[] = [];
let server: Server;
let base: string;
let set: HostSet;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (req.url === '/upload') {
        uploads.push({ type: String(req.headers['content-type']), body: Buffer.concat(chunks) });
        return res.writeHead(200).end('stored');
      }
      if (req.url === '/data.json') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"items": [1, 2]}');
      if (req.url === '/moved') return res.writeHead(301, { location: '/data.json' }).end();
      if (req.url === '/file.txt') return res.writeHead(200, { 'content-type': 'text/plain' }).end(PAYLOAD);
      if (req.url === '/dl?id=7') return res.writeHead(200, { 'content-disposition': 'attachment; filename="pbx-2.1.txt"' }).end(PAYLOAD);
      if (req.url === '/SHA256SUMS')
        return res.writeHead(200).end(`${'1'.repeat(64)}  other.txt\n${createHash('sha256').update(PAYLOAD).digest('hex')} *file.txt\n`);
      if (req.url === '/private') {
        const ok = req.headers.authorization === `Basic ${Buffer.from('ops:pa ss"word').toString('base64')}`;
        return res.writeHead(ok ? 200 : 401, ok ? {} : { 'www-authenticate': 'Basic realm="x"' }).end(ok ? 'welcome' : 'no');
      }
      if (req.url === '/items' && req.method === 'POST') {
        posted.push(body);
        return res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ got: JSON.parse(body) }));
      }
      res.writeHead(404).end('not here');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  set = await startHosts(1, 'http');
});
afterAll(async () => {
  await set?.stop();
  await new Promise((done) => server?.close(done));
});

const play = (tasks: string) => project({ 'play.yml': `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks.replace(/^/gm, '    ')}\n` });

it('uri: a GET (check mode too) registers status, json and redirects; a POST is sent once, never in check mode; basic auth', async () => {
  const dir = play(`- uri: { url: "${base}/moved" }
  register: got
- uri: { url: "${base}/private", url_username: ops, url_password: 'pa ss"word', force_basic_auth: true, return_content: true }
  register: private
- uri: { url: "${base}/items", method: POST, body: { name: pbx }, body_format: json, status_code: 201 }
  register: created
- uri: { url: "${base}/nowhere" }
  register: missing
  ignore_errors: true
- assert:
    that:
      - "got.status == 200 and got.redirected and got.json == {'items': [1, 2]} and got.url is search('/data.json')"
      - private.content == 'welcome'
      - missing is failed and missing.msg is search('Status code was 404 and not \\\\[200\\\\]')
      - "ansible_check_mode or created.json == {'got': {'name': 'pbx'}}"`);
  const inventory = set.inventory();
  const check = await engine(['run', join(dir, 'play.yml'), '-i', inventory, '--check']);
  expect(check.stderr).toBe('');
  expect(recap(check.stdout).http1, check.stdout).toMatchObject({ failed: 0, ignored: 1 });
  expect(posted).toEqual([]);
  const run = await engine(['run', join(dir, 'play.yml'), '-i', inventory, '-vvv']);
  expect(recap(run.stdout).http1, run.stdout).toMatchObject({ ok: 5, failed: 0, ignored: 1 });
  expect(posted).toEqual(['{"name":"pbx"}']);
  expect(run.stdout).not.toContain('pa ss');
});

it('get_url: downloads once, keeps a dest the server says is not modified or whose checksum (given, or read from a checksum file) matches; a directory dest named by Content-Disposition; a wrong checksum leaves dest alone', async () => {
  const dest = join(set.hosts[0].root, 'file.txt');
  const sha256 = createHash('sha256').update(PAYLOAD).digest('hex');
  const downloads = join(set.hosts[0].root, 'downloads');
  mkdirSync(downloads, { recursive: true });
  execFileSync('chown', [TEST_USER, downloads]);
  const dir = play(`- get_url: { url: "${base}/file.txt", dest: "${dest}", mode: "0640" }
  register: first
- get_url: { url: "${base}/file.txt", dest: "${dest}", checksum: "sha256:${sha256}" }
  register: checked
- get_url: { url: "${base}/file.txt", dest: "${dest}.summed", checksum: "sha256:${base}/SHA256SUMS" }
- get_url: { url: "${base}/dl?id=7", dest: "${downloads}" }
  register: named
- get_url: { url: "${base}/file.txt", dest: "${dest}.other", checksum: "sha256:${'0'.repeat(64)}" }
  register: wrong
  ignore_errors: true
- assert:
    that:
      - ansible_check_mode or first.checksum_src == '${createHash('sha1').update(PAYLOAD).digest('hex')}'
      - ansible_check_mode or checked is not changed
      - named.dest == '${downloads}/pbx-2.1.txt'
      - ansible_check_mode or wrong.msg is search('did not match')`);
  const inventory = set.inventory();
  const check = await engine(['run', join(dir, 'play.yml'), '-i', inventory, '--check']);
  expect(existsSync(dest)).toBe(false);
  expect(recap(check.stdout).http1, check.stdout).toMatchObject({ changed: 5, failed: 0 });
  const first = await engine(['run', join(dir, 'play.yml'), '-i', inventory]);
  expect(recap(first.stdout).http1, first.stdout).toMatchObject({ changed: 3, failed: 0, ignored: 1 });
  expect(readFileSync(join(downloads, 'pbx-2.1.txt'), 'utf8')).toBe(PAYLOAD);
  expect(readFileSync(dest, 'utf8')).toBe(PAYLOAD);
  expect(readFileSync(`${dest}.summed`, 'utf8')).toBe(PAYLOAD);
  expect(statSync(dest).mode & 0o777).toBe(0o640);
  expect(existsSync(`${dest}.other`)).toBe(false);
  const again = await engine(['run', join(dir, 'play.yml'), '-i', inventory]);
  expect(recap(again.stdout).http1, again.stdout).toMatchObject({ changed: 0, failed: 0, ignored: 1 });
});

/** Ansible's own prepare_multipart of fields (ansible-core's Python here), with the boundary given. */
function ansibleMultipart(fields: unknown, boundary: string): Buffer {
  const py = `import json, sys, re
from ansible.module_utils.urls import prepare_multipart
ct, body = prepare_multipart(json.loads(sys.argv[1]))
b = re.search(r'boundary="([^"]+)"', ct).group(1)
sys.stdout.buffer.write(body.replace(b.encode(), sys.argv[2].encode()))`;
  return spawnSync('/usr/bin/python3', ['-c', py, JSON.stringify(fields), boundary]).stdout;
}

it("uri uploads: a form-multipart body as Ansible's, its file from the controller or (remote_src) the host; src as the body; none in check mode", async () => {
  const cdr = `${'caller,callee,seconds\n'.repeat(20)}`;
  const hostFile = join(set.hosts[0].root, 'host-cdr.csv');
  writeFileSync(hostFile, `${cdr}from the host\n`);
  const dir = play(`- uri:
    url: "${base}/upload"
    method: POST
    body_format: form-multipart
    body: { note: nightly, cdr: { filename: cdr.csv }, meta: { content: '{"n": 20}', filename: meta.json } }
- uri:
    url: "${base}/upload"
    method: POST
    body_format: form-multipart
    remote_src: true
    body: { cdr: { filename: "${hostFile}", mime_type: text/csv } }
- uri: { url: "${base}/upload", method: PUT, src: cdr.csv }`);
  mkdirSync(join(dir, 'files'));
  writeFileSync(join(dir, 'files', 'cdr.csv'), cdr);
  const inventory = set.inventory();
  const check = await engine(['run', join(dir, 'play.yml'), '-i', inventory, '--check']);
  expect(recap(check.stdout).http1, check.stdout).toMatchObject({ failed: 0 });
  expect(uploads).toEqual([]);
  const run = await engine(['run', join(dir, 'play.yml'), '-i', inventory]);
  expect(recap(run.stdout).http1, run.stdout).toMatchObject({ ok: 3, failed: 0 });
  expect(uploads).toHaveLength(3);
  const boundaryOf = (type: string) => /^multipart\/form-data; boundary="([^"]+)"$/.exec(type)?.[1] ?? 'none';
  const [controller, host, src] = uploads;
  const fromController = { note: 'nightly', cdr: { filename: join(dir, 'files', 'cdr.csv') }, meta: { content: '{"n": 20}', filename: 'meta.json' } };
  expect(controller.body.toString('latin1')).toBe(ansibleMultipart(fromController, boundaryOf(controller.type)).toString('latin1'));
  expect(host.body.toString('latin1')).toBe(ansibleMultipart({ cdr: { filename: hostFile, mime_type: 'text/csv' } }, boundaryOf(host.type)).toString('latin1'));
  expect(src.body.toString('utf8')).toBe(cdr);
});
