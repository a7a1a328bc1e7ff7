// Nothing destroys data by accident: a filesystem is made only where blkid reports exactly "no
// signature", and DRBD metadata only where drbdmeta reports none, never with --force. Real
// mkfs, blkid, debugfs and drbdmeta on image files; blkid's exit 8 (ambivalent) and 4 (I/O
// error) come from a wrapper on PATH, as this machine has no device-mapper to make a failing disk.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseDeviceProbe } from '../../engine/core/modules/filesystem';
import { engine, project, recap, ROOT } from '../helpers/engine';
import { type HostSet, startHosts } from '../helpers/sshd';

let set: HostSet;
beforeAll(async () => {
  set = await startHosts(1, 'dat');
});
afterAll(async () => set?.stop());

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function image(name: string, mb = 16): string {
  const file = join(set.hosts[0].root, name);
  execFileSync('truncate', ['-s', `${mb}M`, file]);
  return file;
}

/** An ext4 image holding one file with known content. */
function ext4WithData(name: string): string {
  const file = image(name);
  execFileSync('mkfs.ext4', ['-q', '-F', file]);
  const data = join(set.dir, 'payload.txt');
  writeFileSync(data, 'recordings and voicemail\n');
  execFileSync('debugfs', ['-w', '-R', `write ${data} payload.txt`, file], { stdio: 'ignore' });
  return file;
}

function fileInImage(file: string): string {
  return execFileSync('debugfs', ['-R', 'cat payload.txt', file], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
}

async function makeFs(dev: string, fstype: string, extra = '', env = ''): Promise<{ code: number; stdout: string }> {
  const dir = project({
    'play.yml': `- hosts: all\n  gather_facts: false\n  become: true\n  tasks:\n    - filesystem: { fstype: ${fstype}, dev: "${dev}"${extra} }\n${env}`,
  });
  return engine(['run', join(dir, 'play.yml'), '-i', set.inventory()]);
}

it('makes a filesystem on a device with no signature, once', async () => {
  const dev = image('blank.img');
  const check = await makeFs(dev, 'ext4');
  expect(check.code, check.stdout).toBe(0);
  expect(execFileSync('blkid', ['-p', '-o', 'value', '-s', 'TYPE', dev]).toString().trim()).toBe('ext4');
  const again = await makeFs(dev, 'ext4');
  expect(recap(again.stdout).dat1).toMatchObject({ ok: 1, changed: 0 });
});

it('refuses a device that holds another filesystem, naming it; the data stays', async () => {
  const dev = ext4WithData('ext4-data.img');
  const before = sha(dev);
  const run = await makeFs(dev, 'xfs');
  expect(run.code).toBe(2);
  expect(run.stdout).toContain(`${dev} already holds ext4`);
  expect(sha(dev)).toBe(before);
  expect(fileInImage(dev)).toBe('recordings and voicemail\n');
});

it.each([
  [8, 'ambivalent result'],
  [4, 'usage or I/O error'],
])('blkid exit %d (%s) stops with the device named, even with force; nothing is written', async (rc, why) => {
  const dev = ext4WithData(`blkid-${rc}.img`);
  const before = sha(dev);
  const bin = join(set.hosts[0].root, `bin-${rc}`);
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'blkid'), `#!/bin/sh\necho "blkid: simulated" >&2\nexit ${rc}\n`);
  chmodSync(join(bin, 'blkid'), 0o755);
  const run = await makeFs(dev, 'ext4', ', force: true', `      environment: { PATH: "${bin}:/usr/sbin:/usr/bin:/sbin:/bin" }\n`);
  expect(run.code, run.stdout).toBe(2);
  expect(run.stdout).toContain(`blkid cannot tell what is on ${dev} (${why}`);
  expect(sha(dev)).toBe(before);
  expect(fileInImage(dev)).toBe('recordings and voicemail\n');
});

it('reads blkid -p -o export output (pure)', () => {
  expect(parseDeviceProbe('missing')).toEqual({ exists: false });
  expect(parseDeviceProbe('rc=2\n')).toMatchObject({ exists: true, blkidRc: 2, type: undefined });
  expect(parseDeviceProbe('rc=0\nDEVNAME=/dev/sdb\nUUID=abc\nTYPE=ext4\nUSAGE=filesystem\n')).toMatchObject({ blkidRc: 0, type: 'ext4' });
});

/**
 * The storage role's DRBD metadata tasks, with drbdadm played by a wrapper that runs the real
 * drbdmeta on an image file (drbdadm itself needs the resource configured on a DRBD host).
 */
async function drbdMetadata(img: string, wrapperBody?: string): Promise<{ code: number; stdout: string; log: string }> {
  // drbdmeta wants a block device: the image goes behind a loop device for the run.
  const loop = execFileSync('losetup', ['--find', '--show', img]).toString().trim();
  try {
    return await drbdMetadataOn(loop, wrapperBody);
  } finally {
    execFileSync('losetup', ['-d', loop]);
  }
}

async function drbdMetadataOn(img: string, wrapperBody?: string): Promise<{ code: number; stdout: string; log: string }> {
  const bin = join(set.hosts[0].root, `drbd-bin-${Math.random().toString(36).slice(2)}`);
  mkdirSync(bin, { recursive: true });
  const log = join(bin, 'calls.log');
  const body =
    wrapperBody ??
    `case "$1" in\n  dump-md) exec drbdmeta 0 v09 ${img} internal dump-md ;;\n  create-md) exec drbdmeta 0 v09 ${img} internal create-md 1 ;;\nesac\nexit 20`;
  writeFileSync(join(bin, 'drbdadm'), `#!/bin/sh\necho "$*" >> ${log}\n${body}\n`);
  chmodSync(join(bin, 'drbdadm'), 0o755);
  writeFileSync(log, '');
  const tasks = resolve(ROOT, 'roles/storage/tasks/drbd_metadata.yml');
  const dir = project({
    'play.yml': `- hosts: all\n  gather_facts: false\n  become: true\n  environment: { PATH: "${bin}:/usr/sbin:/usr/bin:/sbin:/bin" }\n  vars: { drbd_resource: r0 }\n  tasks:\n    - include_tasks: ${tasks}\n`,
  });
  const run = await engine(['run', join(dir, 'play.yml'), '-i', set.inventory()]);
  return { ...run, log: readFileSync(log, 'utf8') };
}

it('DRBD metadata: created where drbdmeta finds none, once, and never with --force', async () => {
  const img = image('drbd-blank.img', 64);
  const blank = sha(img);
  const first = await drbdMetadata(img);
  expect(first.code, first.stdout).toBe(0);
  expect(first.log.trim().split('\n')).toEqual(['dump-md r0', 'create-md r0']);
  expect(readFileSync(img).includes(Buffer.from('drbd'))).toBe(false); // sanity: no text marker
  expect(sha(img)).not.toBe(blank);
  const md = sha(img);
  const again = await drbdMetadata(img);
  expect(again.code).toBe(0);
  expect(again.log.trim()).toBe('dump-md r0');
  expect(sha(img)).toBe(md);
});

it('DRBD metadata: a disk holding a filesystem is not overwritten (create-md without --force declines)', async () => {
  const img = ext4WithData('drbd-ext4.img');
  const before = sha(img);
  const run = await drbdMetadata(img);
  expect(run.code).toBe(2);
  expect(run.log).not.toContain('--force');
  expect(run.log.trim().split('\n')).toEqual(['dump-md r0', 'create-md r0']);
  expect(run.stdout).toMatch(/Found ext\d filesystem.*Operation refused/);
  expect(sha(img)).toBe(before);
  expect(fileInImage(img)).toBe('recordings and voicemail\n');
});

it('DRBD metadata: unclean metadata after a crash stops the run, naming the resource; nothing created', async () => {
  const img = image('drbd-unclean.img');
  const run = await drbdMetadata(img, `[ "$1" = dump-md ] && { echo 'Found meta data is "unclean", please apply-al first' >&2; exit 255; }\nexit 20`);
  expect(run.code).toBe(2);
  expect(run.stdout).toContain('drbdadm dump-md r0: Found meta data is \\"unclean\\", please apply-al first');
  expect(run.log.trim()).toBe('dump-md r0');
});
