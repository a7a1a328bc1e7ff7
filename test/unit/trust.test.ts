// Pure parts of the trust work: secrets masked, become handshake, names and paths never options,
// host key algorithm order, site values held to the schema.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { PassThrough } from 'node:stream';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostKeyAlgorithms } from '../../engine/core/connection/knownhosts';
import { quotePath } from '../../engine/core/connection/quote';
import { converse } from '../../engine/core/connection/converse';
import { wrapCommand } from '../../engine/core/connection/wrap';
import { MASK, maskSecrets, rememberSecret } from '../../engine/core/load/secrets';
import { maskedCib } from '../../engine/cluster/cib/build';
import { filesystem, parseDeviceProbe } from '../../engine/core/modules/filesystem';
import { planContext } from '../helpers/modules';
import { checkName } from '../../engine/core/modules/util/names';
import { parseYaml } from '../../engine/core/load/yaml';
import { validateAgainstModeline } from '../../engine/core/load/validate';
import { inventoryVars, loadInventory } from '../../engine/core/load/inventory';
import { copy } from '../../engine/core/modules/copy';
import { resolvePattern } from '../../engine/core/plan/patterns';
import { checkArgs } from '../../engine/core/run/args';

describe('secrets', () => {
  it('maskSecrets hides remembered values in strings, lists and mappings; short values are not remembered', () => {
    rememberSecret('s3cr3t-value');
    rememberSecret('abc');
    expect(maskSecrets('token=s3cr3t-value;')).toBe(`token=${MASK};`);
    expect(maskSecrets({ before: ['x s3cr3t-value'], n: 1 })).toEqual({ before: [`x ${MASK}`], n: 1 });
    expect(maskSecrets('abc')).toBe('abc');
  });

  it('the CIB diff masks secret nvpairs of any fence agent, nothing else', () => {
    const text =
      '<nvpair id="f-password" name="password" value="hunter2-ipmi"/>\n<nvpair id="f-ip" name="ip" value="10.0.0.11"/>\n<nvpair id="a-k" name="secret_key" value="AKIA/x"/>\n';
    expect(maskedCib(text)).toBe(
      '<nvpair id="f-password" name="password" value="********"/>\n<nvpair id="f-ip" name="ip" value="10.0.0.11"/>\n<nvpair id="a-k" name="secret_key" value="********"/>\n',
    );
  });

  it('writeOnly properties of the site schema name the secrets, nested ones too', () => {
    const file = resolve(__dirname, '../../vars.yml');
    const { data, src } = parseYaml(readFileSync(file, 'utf8'), file);
    const site = validateAgainstModeline(data, src, file)!;
    const fence = [{ id: 'f1', agent: 'stonith:fence_ipmilan', params: { ip: '10.0.0.1', password: 'ipmi-pw-1' } }];
    expect(site.secretsIn('hacluster_password', 'pw-of-hacluster')).toEqual(['pw-of-hacluster']);
    expect(site.secretsIn('fence_devices', fence)).toEqual(['ipmi-pw-1']);
    expect(site.secretsIn('vip', '10.0.0.9')).toEqual([]);
    expect(site.problem('pbx_datapath_disk', '/dev/sdb;touch /tmp/x')).toMatch(/must match/);
    expect(site.problem('pbx_datapath_disk', '/dev/sdb')).toBeUndefined();
    expect(site.problem('fencing', 'sbd')).toMatch(/must be one of/);
  });
});

describe('become', () => {
  it('with a password, sudo gets a random prompt and the command prints a random ready line first', () => {
    const a = wrapCommand('id -un', 'me', { become: { user: 'root', password: 'pw' } });
    const b = wrapCommand('id -un', 'me', { become: { user: 'root', password: 'pw' } });
    expect(a.handshake!.prompt).not.toBe(b.handshake!.prompt);
    expect(a.script).toContain(`-p '${a.handshake!.prompt}'`);
    expect(a.script).toContain(a.handshake!.ready);
    expect(a.script).not.toContain('pw\n');
    expect(wrapCommand('id', 'me', { become: { user: 'root' } }).handshake).toBeUndefined();
  });

  it('su runs the body as the user through /bin/sh; with a password under LC_ALL=C (its prompt is then known) and a ready line', () => {
    expect(wrapCommand('id -un', 'me', { become: { user: 'app', method: 'su' } }, true).script).toBe("su -s /bin/sh app -c 'id -un'");
    const withPassword = wrapCommand('id -un', 'me', { become: { user: 'app', method: 'su', password: 'pw' }, timeoutSec: 3 });
    expect(withPassword.handshake).toMatchObject({ method: 'su', prompt: 'Password: ' });
    expect(withPassword.script).toMatch(/^LC_ALL=C timeout -k 5 3 su -s \/bin\/sh app -c /);
    expect(withPassword.script).toContain(withPassword.handshake!.ready);
    expect(withPassword.script).not.toContain('pw');
  });

  it('su that prompts, is answered and fails without its ready line: the password was wrong; stdin never reaches it', async () => {
    const { handshake } = wrapCommand('cat', 'me', { become: { user: 'app', method: 'su', password: 'pw' } });
    const streams = { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough() };
    const fed: string[] = [];
    streams.stdin.on('data', (d: Buffer) => fed.push(d.toString()));
    let exit: (v: { code: number }) => void = () => undefined;
    const exited = new Promise<{ code: number }>((r) => {
      exit = r;
    });
    const result = converse({ ...streams, exited }, 'secret input', handshake);
    streams.stderr.write('Password: ');
    await new Promise((r) => setImmediate(r));
    streams.stderr.write('su: Authentication failure\n');
    exit({ code: 1 });
    const { rc, stderr } = await result;
    expect(rc).toBe(1);
    expect(stderr).toBe('incorrect become (su) password\nsu: Authentication failure\n');
    expect(fed.join('')).toBe('pw\n');
  });

  it('timeout wraps the whole command, sudo included', () => {
    expect(wrapCommand('sleep 9', 'me', { become: { user: 'root' }, timeoutSec: 2.2 }).script).toMatch(/^timeout -k 5 3 sudo /);
  });

  it('a login shell that is /bin/sh runs a plain command itself; with sudo or a timeout, or another shell, /bin/sh -c runs it', () => {
    expect(wrapCommand('echo $HOME', 'me', { env: { A: 'b' }, cwd: '/tmp' }, true).script).toBe('export A=b; cd /tmp && echo $HOME');
    expect(wrapCommand('echo $HOME', 'me', {}, false).script).toBe("/bin/sh -c 'echo $HOME'");
    expect(wrapCommand('id', 'me', { become: { user: 'root' } }, true).script).toBe('sudo -H -n -u root -- /bin/sh -c id');
    expect(wrapCommand('sleep 9', 'me', { timeoutSec: 2 }, true).script).toBe("timeout -k 5 2 /bin/sh -c 'sleep 9'");
  });
});

describe('operands', () => {
  it('a name starting with - is refused; a relative path starting with - gets ./', () => {
    expect(() => checkName('--badname', 'user name')).toThrow(/invalid user name '--badname'/);
    expect(() => checkName('-oDpkg::Pre-Invoke::=x', 'package name')).toThrow(/must not .* start with '-'/);
    expect(checkName('pbx-kamailio', 'service name')).toBe('pbx-kamailio');
    expect(quotePath('-n')).toBe('./-n');
    expect(quotePath('/etc/x y')).toBe("'/etc/x y'");
  });

  it("a leading ~ or ~user is the host's to expand, as Ansible expands path arguments; the rest stays quoted", () => {
    const home = (path: string) => execFileSync('sh', ['-c', `printf %s ${quotePath(path)}`], { encoding: 'utf8', env: { ...process.env, HOME: '/home/x' } });
    expect(home('~/a b;c')).toBe('/home/x/a b;c');
    expect(home('~')).toBe('/home/x');
    expect(home('~root/.ssh')).toBe(`${execFileSync('sh', ['-c', 'printf %s ~root'], { encoding: 'utf8' })}/.ssh`);
    expect(home('a/~b')).toBe('a/~b');
    expect(quotePath('~$(id)')).toBe("'~$(id)'");
  });

  it('host key algorithms: the known types first, in OpenSSH order otherwise', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kh-'));
    const file = join(dir, 'known_hosts');
    writeFileSync(file, '[10.0.0.1]:2222 ecdsa-sha2-nistp256 AAAA\n10.0.0.2 ssh-rsa AAAA\n');
    expect(hostKeyAlgorithms([file], '[10.0.0.1]:2222').slice(0, 2)).toEqual(['ecdsa-sha2-nistp256', 'ssh-ed25519']);
    expect(hostKeyAlgorithms([file], '10.0.0.2').slice(0, 3)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(hostKeyAlgorithms([file], 'unknown')[0]).toBe('ssh-ed25519');
  });
});

describe('filesystem plan on fixture state', () => {
  const ctx = planContext();
  const plan = (probe: string, force = false) =>
    filesystem.plan({ fstype: 'ext4', dev: '/dev/sdb', force }, parseDeviceProbe(probe), ctx) as { changed: boolean; failed?: boolean; msg: string };
  it('mkfs only for blkid exit 2', () => {
    expect(plan('rc=2\n')).toMatchObject({ changed: true });
    expect(plan('rc=0\nTYPE=ext4\n')).toMatchObject({ changed: false });
    expect(plan('rc=0\nTYPE=ext4\n').failed).toBeFalsy();
    expect(plan('rc=0\nTYPE=xfs\n')).toMatchObject({ changed: false, failed: true });
    expect(plan('rc=0\nTYPE=xfs\n', true)).toMatchObject({ changed: true });
    expect(plan('rc=8\n', true)).toMatchObject({ changed: false, failed: true, msg: expect.stringContaining('ambivalent') });
    expect(plan('rc=4\n', true)).toMatchObject({ failed: true, msg: expect.stringContaining('I/O error') });
    expect(plan('missing')).toMatchObject({ failed: true, msg: 'device /dev/sdb not found' });
  });
});

describe('input read as Ansible reads it, or refused', () => {
  it('an inventory host `web1:2222` is host web1 on port 2222', () => {
    const dir = mkdtempSync(join(tmpdir(), 'inv-'));
    const file = join(dir, 'inv.yml');
    writeFileSync(file, 'all:\n  children:\n    web:\n      hosts:\n        "web1:2222":\n        web2:\n');
    const inv = loadInventory(file);
    expect(inv.hosts).toEqual(['web1', 'web2']);
    expect(inventoryVars(inv, 'web1').ansible_port).toBe(2222);
    expect(resolvePattern(inv, 'web')).toEqual(['web1', 'web2']);
  });

  it('a boolean argument that is no boolean word is an error, not false', () => {
    expect(checkArgs(copy, { dest: '/x', content: 'y', force: 'maybe' }).error).toMatch(/argument 'force' of copy: 'maybe' is not a boolean/);
    const ok = checkArgs(copy, { dest: '/x', content: 'y', force: 'no' });
    expect(ok.error).toBeUndefined();
    expect(ok.args.force).toBe(false);
  });
});

describe('site values given with -e key=value', () => {
  it('are strings, as in Ansible: a numeric string is a fine integer, a word is not', () => {
    const file = resolve(__dirname, '../../vars.yml');
    const { data, src } = parseYaml(readFileSync(file, 'utf8'), file);
    const site = validateAgainstModeline(data, src, file)!;
    expect(site.problem('corosync_token', '1100')).toBeUndefined();
    expect(site.problem('corosync_token', 'fast')).toMatch(/must be integer/);
    expect(site.problem('src_pkt_ip', 'true')).toBeUndefined();
  });
});
