// The lab's stand-in PBX as a container image: a minimal root filesystem made from this machine's
// own Kamailio, SQLite and busybox (nothing is downloaded), as a tarball for `docker import`.
// The nodes see it read-only at /var/lib/lab-images; the pbx role imports it.
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Run } from './host';

const IMAGE_TARBALL = 'pbx-kamailio.tar';
export const NODE_IMAGE_DIR = '/var/lib/lab-images';

const MODULES_DIR = '/usr/lib/x86_64-linux-gnu/kamailio/modules';
const MODULES = ['sl', 'pv', 'xlog', 'tm', 'rr', 'maxfwd', 'siputils', 'usrloc', 'registrar', 'dialog', 'db_sqlite', 'xhttp', 'jsonrpcs'];
const BINARIES = ['/usr/sbin/kamailio', '/usr/bin/sqlite3', '/bin/busybox'];
const FILES = ['standard', 'usrloc', 'dialog'].map((table) => `/usr/share/kamailio/db_sqlite/${table}-create.sql`);

/** Shared libraries the binaries and modules load, as ldd resolves them here. */
async function libraries(run: Run, objects: string[]): Promise<string[]> {
  const out = (await run(['ldd', ...objects], { nothrow: true })).stdout;
  return [...new Set([...out.matchAll(/(\/[^\s:]+\.so[^\s:]*)/g)].map((m) => m[1]))];
}

/** Builds the tarball once per lab (it is rebuilt only when missing). */
export async function buildPbxImage(run: Run, imagesDir: string): Promise<void> {
  const tarball = join(imagesDir, IMAGE_TARBALL);
  if (existsSync(tarball)) return;
  const root = join(imagesDir, 'rootfs');
  rmSync(root, { recursive: true, force: true });
  const modules = MODULES.map((m) => join(MODULES_DIR, `${m}.so`));
  const wanted = [...BINARIES, ...modules, ...FILES, ...(await libraries(run, [...BINARIES.slice(0, 2), ...modules]))];
  for (const file of wanted) {
    // Debian merges /lib into /usr/lib: keep one copy under /usr, link the old paths to it.
    const target = join(root, file.replace(/^\/(lib|lib64|bin|sbin)\//, '/usr/$1/'));
    mkdirSync(dirname(target), { recursive: true });
    await run(['cp', '-L', file, target]);
  }
  for (const dir of ['lib', 'lib64', 'bin', 'sbin']) if (!existsSync(join(root, dir))) symlinkSync(`usr/${dir}`, join(root, dir));
  for (const tool of ['sh', 'cat', 'mkdir', 'mv', 'rm', 'ls', 'sleep', 'wget']) symlinkSync('busybox', join(root, 'usr/bin', tool));
  for (const dir of ['etc', 'tmp', 'run/kamailio', 'var']) mkdirSync(join(root, dir), { recursive: true });
  symlinkSync('../run', join(root, 'var/run'));
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
  await run(['tar', '-C', root, '-cf', `${tarball}.tmp`, '.']);
  await run(['mv', `${tarball}.tmp`, tarball]);
  rmSync(root, { recursive: true, force: true });
}
