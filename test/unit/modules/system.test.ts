// Packages, services, accounts, commands, waits and facts on fixture states: the probes' parsers
// on canned output and the plans' decisions and steps. No host.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apt } from '../../../engine/core/modules/apt';
import { command } from '../../../engine/core/modules/command';
import { cron, placeEnv, placeJob } from '../../../engine/core/modules/cron';
import { filesystem } from '../../../engine/core/modules/filesystem';
import { checksumFromFile, get_url } from '../../../engine/core/modules/get_url';
import { getent, getentEntries } from '../../../engine/core/modules/getent';
import { modprobe } from '../../../engine/core/modules/modprobe';
import { mount, setEntry, unsetEntry } from '../../../engine/core/modules/mount';
import { packageModule } from '../../../engine/core/modules/package';
import { package_facts, packagesFact } from '../../../engine/core/modules/package_facts';
import { ping } from '../../../engine/core/modules/ping';
import { service_facts, servicesFact } from '../../../engine/core/modules/service_facts';
import { mktempLine, tempfile } from '../../../engine/core/modules/tempfile';
import { group } from '../../../engine/core/modules/group';
import { hostname } from '../../../engine/core/modules/hostname';
import { service } from '../../../engine/core/modules/service';
import { setup } from '../../../engine/core/modules/setup';
import { shell } from '../../../engine/core/modules/shell';
import type { ExecResult } from '../../../engine/core/connection/types';
import type { Module, Outcome, Query, RunStep, WriteStep } from '../../../engine/core/modules/types';
import { uri } from '../../../engine/core/modules/uri';
import { user } from '../../../engine/core/modules/user';
import { wait_for } from '../../../engine/core/modules/wait_for';
import { requestScript } from '../../../engine/core/modules/util/http';
import { base64Lines, multipartBody } from '../../../engine/core/modules/util/multipart';
import { answer, foundHere, planContext, statOutput } from '../../helpers/modules';

function decide<A>(module: Module<A>, args: A, answers: Array<Partial<ExecResult>>, ctx = planContext()): Outcome {
  return module.plan(args, answer(module.probe!(args, ctx), ...answers).found, ctx);
}
const scripts = (out: Outcome) => (out.steps ?? []).map((s) => (s as RunStep).script);

describe('apt', () => {
  const installed = { stdout: 'I curl installed|7.88\nI jq \nA 100\n' };
  it('installs what is missing, in one apt-get run, with the versions in the diff', () => {
    const out = decide(apt, { name: ['curl', 'jq'] }, [installed]);
    expect(out).toMatchObject({ changed: true, msg: 'install jq' });
    expect(scripts(out)).toEqual([
      'DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold jq',
    ]);
    expect(out.diff?.[0]).toMatchObject({ before: 'curl: 7.88\njq: not installed\n', after: 'curl: 7.88\njq: installed\n' });
  });

  it('latest upgrades an installed package whose candidate is newer; absent removes (purge)', () => {
    const out = decide(apt, { name: 'curl', state: 'latest' }, [{ stdout: 'I curl installed|7.88\nC curl 7.90\nA 5\n' }]);
    expect(out.diff?.[0].after).toBe('curl: 7.90\n');
    expect(decide(apt, { name: 'curl', state: 'absent', purge: true }, [installed]).steps?.[0]).toMatchObject({
      script: 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -q curl',
    });
    expect(decide(apt, { name: 'curl' }, [installed])).toMatchObject({ changed: false, msg: 'packages already present' });
  });

  it('a stale cache is refreshed first, then the task is probed and planned again on the fresh one', () => {
    const out = decide(apt, { name: 'jq', update_cache: true, cache_valid_time: 60 }, [installed]);
    expect(out.msg).toBe('install jq (judged on the current package cache; it would be refreshed first)');
    expect(out.steps).toEqual([
      { kind: 'run', script: 'apt-get update -q', what: undefined },
      { kind: 'replan', args: { name: 'jq', update_cache: false, cache_valid_time: 60 }, result: { cache_updated: true } },
    ]);
    expect(decide(apt, { name: 'curl', update_cache: true, cache_valid_time: 3600 }, [installed]).steps).toBeUndefined();
  });

  it('a failed install is the task failure, with the last lines apt printed', () => {
    const step = decide(apt, { name: 'jq' }, [installed]).steps![0] as RunStep;
    expect(step.result!({ rc: 100, stdout: '', stderr: 'Reading...\nE: Unable to locate package jq\n', seconds: 1 })).toMatchObject({
      failed: true,
      rc: 100,
      msg: 'apt-get install failed: Reading... | E: Unable to locate package jq',
    });
    expect(step.result!({ rc: 0, stdout: '', stderr: '', seconds: 1 })).toEqual({});
  });

  it('a .deb file is read first: its package name decides what is looked up, its version what is installed', () => {
    const args = { deb: '/tmp/pbx_1.2_amd64.deb' };
    const { found, scripts: asked } = answer(
      apt.probe!(args, planContext()),
      { stdout: 'Package: pbx\nVersion: 1.2\n' },
      { stdout: 'I pbx installed|1.1\nA 9\n' },
    );
    expect(asked[0]).toBe('dpkg-deb -f /tmp/pbx_1.2_amd64.deb Package Version');
    expect(asked[1]).toContain('for p in pbx;');
    const out = apt.plan(args, found, planContext());
    expect(out.diff?.[0]).toMatchObject({ before: 'pbx: 1.1\n', after: 'pbx: 1.2\n' });
    expect(scripts(out)[0]).toMatch(/apt-get install .* \/tmp\/pbx_1\.2_amd64\.deb$/);
  });

  it('a package name that reads as an option is refused', () => {
    expect(() => apt.probe!({ name: '-oAPT::x' }, planContext())).toThrow("invalid package name '-oAPT::x'");
  });
});

describe('service', () => {
  const systemd = (active: string, enabled: string, exists = 'exists') => [{ stdout: `systemd\n${active}\n${enabled}\n${exists}\n` }];
  it('starts and enables what is stopped and disabled, daemon-reload first when asked', () => {
    const out = decide(service, { name: 'pbx', state: 'started', enabled: true, daemon_reload: true }, systemd('inactive', 'disabled'));
    expect(out).toMatchObject({ changed: true, msg: 'would enable, start' });
    expect(scripts(out)).toEqual(['systemctl daemon-reload', 'systemctl enable pbx', 'systemctl start pbx']);
    expect(out.diff?.[0]).toMatchObject({ before: 'pbx: stopped, disabled\n', after: 'pbx: running, enabled\n' });
  });

  it('started and stopped are idempotent, restarted always acts, reloaded starts a stopped one', () => {
    expect(decide(service, { name: 'pbx', state: 'started' }, systemd('active', 'enabled')).changed).toBe(false);
    expect(scripts(decide(service, { name: 'pbx', state: 'stopped' }, systemd('active', 'static')))).toEqual(['systemctl stop pbx']);
    expect(scripts(decide(service, { name: 'pbx', state: 'restarted' }, systemd('active', 'enabled')))).toEqual(['systemctl restart pbx']);
    expect(scripts(decide(service, { name: 'pbx', state: 'reloaded' }, systemd('inactive', 'enabled')))).toEqual(['systemctl start pbx']);
  });

  it("masks before anything else, in Ansible's order; a masked unit counts as one; its properties are the result's status", () => {
    const shown = [{ stdout: 'systemd\nactive\nenabled\nexists\nActiveState=active\nMainPID=42\n' }];
    const out = decide(service, { name: 'pbx', state: 'stopped', masked: true }, shown);
    expect(scripts(out)).toEqual(['systemctl mask pbx', 'systemctl stop pbx']);
    expect(out.diff?.[0]).toMatchObject({ before: 'pbx: running, enabled\n', after: 'pbx: stopped, masked\n' });
    expect(out.result?.status).toEqual({ ActiveState: 'active', MainPID: '42' });
    const masked = [{ stdout: 'systemd\ninactive\nmasked\nmissing\n' }];
    expect(decide(service, { name: 'pbx', masked: true }, masked).changed).toBe(false);
    expect(scripts(decide(service, { name: 'pbx', masked: false, state: 'started' }, masked))).toEqual(['systemctl unmask pbx', 'systemctl start pbx']);
  });

  it("a user's or the global scope, no_block and force reach systemctl; daemon_reload alone needs no unit", () => {
    const user = decide(service, { name: 'agent', state: 'started', scope: 'user', no_block: true }, systemd('inactive', 'enabled'));
    expect(scripts(user)).toEqual(['XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/run/user/$(id -u)} systemctl --user start --no-block agent']);
    const probe = service.probe!({ name: 'agent', scope: 'global', enabled: true }, planContext()) as Query<unknown>;
    expect(probe.script).toContain('systemctl --global is-enabled agent');
    expect(probe.script).not.toContain('is-active');
    expect(decide(service, { name: 'agent', scope: 'global', state: 'started' }, systemd('inactive', 'enabled')).failed).toBe(true);
    expect(scripts(decide(service, { name: 'pbx', enabled: true, force: true }, systemd('active', 'disabled')))).toEqual(['systemctl enable --force pbx']);
    const reload = decide(service, { daemon_reload: true, daemon_reexec: true }, [{ stdout: 'systemd\n' }]);
    expect(reload).toMatchObject({ changed: true });
    expect(scripts(reload)).toEqual(['systemctl daemon-reexec', 'systemctl daemon-reload']);
    expect(decide(service, {}, [{ stdout: 'systemd\n' }]).failed).toBe(true);
  });

  it('SysV hosts get service and update-rc.d; a missing service fails', () => {
    const out = decide(service, { name: 'ntp', state: 'started', enabled: true }, [{ stdout: 'sysv\ninactive\ndisabled\nexists\n' }]);
    expect(scripts(out)).toEqual(['update-rc.d ntp defaults && update-rc.d ntp enable', 'service ntp start']);
    expect(decide(service, { name: 'x', state: 'started' }, systemd('inactive', 'missing', 'missing'))).toMatchObject({
      failed: true,
      msg: 'service x not found (systemd)',
    });
    expect(decide(service, { name: 'ntp', masked: true }, [{ stdout: 'sysv\ninactive\ndisabled\nexists\n' }]).msg).toBe(
      'masked and scope need systemd; ntp is a SysV service here',
    );
  });
});

describe('user', () => {
  const existing = { stdout: 'app:x:1001:1001:App:/home/app:/bin/sh\napp\napp audio\n$6$old\n' };
  it('creates a missing user with useradd and the hash through chpasswd on stdin, never in argv', () => {
    const out = decide(user, { name: 'app', shell: '/bin/bash', password: '$6$new' }, [{ rc: 2 }]);
    expect(out.msg).toBe('user would be created');
    expect(out.steps?.slice(0, 2)).toEqual([
      { kind: 'run', script: 'useradd -m -s /bin/bash app' },
      { kind: 'run', script: 'chpasswd -e', stdin: 'app:$6$new\n' },
    ]);
  });

  it("returns the account as Ansible's module does: what useradd gave a new one, read after it", () => {
    const out = decide(user, { name: 'app' }, [{ rc: 2 }]);
    expect(out.result).toMatchObject({ name: 'app', state: 'present', home: '/home/app', create_home: true });
    const read = out.steps?.at(-1) as RunStep;
    expect(read.script).toBe('getent passwd app');
    expect(read.result?.({ rc: 0, stdout: 'app:x:1002:1003::/srv/app:/bin/sh\n', stderr: '', seconds: 0 })).toEqual({
      uid: 1002,
      group: 1003,
      comment: '',
      home: '/srv/app',
      shell: '/bin/sh',
    });
    expect(decide(user, { name: 'app' }, [existing]).result).toMatchObject({ uid: 1001, group: 1001, home: '/home/app', shell: '/bin/sh', comment: 'App' });
  });

  it('changes only what differs, reports it by field, and nothing when all holds', () => {
    const out = decide(user, { name: 'app', shell: '/bin/bash', groups: ['audio', 'video'] }, [existing]);
    expect(out.msg).toBe('user would change (shell, groups)');
    expect(scripts(out)).toEqual(['usermod -s /bin/bash -G audio,video app']);
    expect(decide(user, { name: 'app', shell: '/bin/sh', groups: 'audio', password: '$6$old' }, [existing]).changed).toBe(false);
    expect(scripts(decide(user, { name: 'app', groups: ['video'], append: true }, [existing]))).toEqual(['usermod -a -G video app']);
  });

  it('absent removes (with its home when asked); a hash with a colon is refused', () => {
    expect(scripts(decide(user, { name: 'app', state: 'absent', remove: true }, [existing]))).toEqual(['userdel -r app']);
    expect(scripts(decide(user, { name: 'app', state: 'absent', remove: true, force: true }, [existing]))).toEqual(['userdel -f -r app']);
    expect(decide(user, { name: 'app', state: 'absent' }, [{ rc: 2 }]).changed).toBe(false);
    expect(() => decide(user, { name: 'app', password: 'a:b' }, [existing])).toThrow('password must be a crypt(3) hash');
  });

  it('a lookup that fails for another reason fails the task, not "absent"', () => {
    expect(() => decide(user, { name: 'app' }, [{ rc: 1, stderr: 'nss broken' }])).toThrow('looking up user app: failed (rc=1): nss broken');
  });
});

describe('group', () => {
  it('creates, changes the gid, removes, or does nothing', () => {
    expect(scripts(decide(group, { name: 'sip', gid: 900, system: true }, [{ rc: 2 }]))).toEqual(['groupadd -r -g 900 sip && { getent group sip || true; }']);
    expect(scripts(decide(group, { name: 'sip', gid: 901 }, [{ stdout: 'sip:x:900:\n' }]))).toEqual(['groupmod -g 901 sip && { getent group sip || true; }']);
    expect(scripts(decide(group, { name: 'sip', state: 'absent' }, [{ stdout: 'sip:x:900:\n' }]))).toEqual(['groupdel sip']);
    expect(decide(group, { name: 'sip', gid: 900 }, [{ stdout: 'sip:x:900:\n' }]).changed).toBe(false);
    expect(decide(group, { name: 'sip', state: 'absent' }, [{ rc: 2 }]).changed).toBe(false);
  });

  it("registers name, state and gid as Ansible's (the gid a new group got, from the step); non_unique passes -o and needs gid", () => {
    expect(decide(group, { name: 'sip' }, [{ stdout: 'sip:x:900:\n' }]).result).toEqual({ name: 'sip', state: 'present', system: false, gid: 900 });
    const created = decide(group, { name: 'sip' }, [{ rc: 2 }]);
    expect((created.steps as RunStep[])[0].result!({ rc: 0, stdout: 'sip:x:1001:\n', stderr: '', seconds: 0 })).toEqual({ gid: 1001 });
    expect(scripts(decide(group, { name: 'alias', gid: 900, non_unique: true }, [{ rc: 2 }]))[0]).toMatch(/^groupadd -g 900 -o alias /);
    expect(decide(group, { name: 'alias', non_unique: true }, [{ rc: 2 }])).toMatchObject({ failed: true, msg: 'non_unique needs gid' });
  });
});

describe('hostname', () => {
  it('hostnamectl under systemd, /etc/hostname and hostname elsewhere, nothing when both match', () => {
    expect(scripts(decide(hostname, { name: 'pbx01' }, [{ stdout: 'old\nold\nsystemd\n' }]))).toEqual(['hostnamectl set-hostname pbx01']);
    expect(scripts(decide(hostname, { name: 'pbx01' }, [{ stdout: 'old\nold\nnone\n' }]))).toEqual(["printf '%s\\n' pbx01 > /etc/hostname && hostname pbx01"]);
    expect(decide(hostname, { name: 'pbx01' }, [{ stdout: 'pbx01\nold\nsystemd\n' }]).changed).toBe(true);
    expect(decide(hostname, { name: 'pbx01' }, [{ stdout: 'pbx01\npbx01\nsystemd\n' }]).changed).toBe(false);
  });
});

describe('filesystem', () => {
  it('mkfs is one argv step, options split as shell words, force per type', () => {
    expect(scripts(decide(filesystem, { fstype: 'ext4', dev: '/dev/sdb', opts: '-L data' }, [{ stdout: 'rc=2\n' }]))).toEqual([
      'mkfs.ext4 -L data -- /dev/sdb',
    ]);
    expect(scripts(decide(filesystem, { fstype: 'xfs', dev: '/dev/sdb', force: true }, [{ stdout: 'rc=0\nTYPE=ext4\n' }]))).toEqual([
      'mkfs.xfs -f -- /dev/sdb',
    ]);
    expect(() => decide(filesystem, { fstype: 'ext4;reboot', dev: '/dev/sdb' }, [{ stdout: 'rc=2\n' }])).toThrow('is not a filesystem type');
  });

  it('a probe that cannot run at all fails the task before any plan', () => {
    expect(() => decide(filesystem, { fstype: 'ext4', dev: '/dev/sdb' }, [{ rc: 1, stderr: 'sh: blkid: not found' }])).toThrow('not found');
  });

  it('resizefs grows ext4 into a bigger device online (diff in MiB), and leaves one that fills it', () => {
    const ext4 = (deviceMiB: number, blocks: number, mount = '/var/lib/pbx') =>
      `rc=0\nTYPE=ext4\n@device=${deviceMiB * 1024 * 1024}\n@fs=Block count:              ${blocks} Block size:               4096 \n@mount=${mount}\n`;
    const args = { fstype: 'ext4', dev: '/dev/xvdf', resizefs: true };
    const grown = decide(filesystem, args, [{ stdout: ext4(512, 65536) }]);
    expect(grown).toMatchObject({ changed: true, msg: 'ext4 on /dev/xvdf would grow from 256 MiB to 512 MiB (mounted on /var/lib/pbx: online)' });
    expect(grown.diff).toEqual([
      { before: '/dev/xvdf: ext4, 256 MiB\n', after: '/dev/xvdf: ext4, 512 MiB\n', beforeHeader: 'filesystem', afterHeader: 'filesystem' },
    ]);
    expect(scripts(grown)).toEqual(['resize2fs /dev/xvdf']);
    // resize2fs may leave less than a block group unused: that is full.
    expect(decide(filesystem, args, [{ stdout: ext4(512, 131000) }])).toMatchObject({
      changed: false,
      msg: 'ext4 on /dev/xvdf already fills the device (512 MiB of 512 MiB)',
    });
    // Without resizefs a bigger device is left as it is.
    expect(decide(filesystem, { fstype: 'ext4', dev: '/dev/xvdf' }, [{ stdout: 'rc=0\nTYPE=ext4\n' }]).changed).toBe(false);
  });

  it('resizefs grows xfs through its mountpoint only, and refuses what it cannot measure or grow', () => {
    const xfs = (mount: string) => `rc=0\nTYPE=xfs\n@device=${1024 ** 3}\n@fs=data     =                       bsize=4096   blocks=65536 \n@mount=${mount}\n`;
    expect(scripts(decide(filesystem, { fstype: 'xfs', dev: '/dev/xvdf', resizefs: true }, [{ stdout: xfs('/data') }]))).toEqual(['xfs_growfs /data']);
    expect(() => decide(filesystem, { fstype: 'xfs', dev: '/dev/xvdf', resizefs: true }, [{ stdout: xfs('') }])).toThrow('grows only while mounted');
    expect(
      decide(filesystem, { fstype: 'ext4', dev: '/dev/xvdf', resizefs: true }, [{ stdout: 'rc=0\nTYPE=ext4\n@device=1000\n@fs=\n@mount=\n' }]),
    ).toMatchObject({
      failed: true,
      msg: 'cannot tell the sizes of /dev/xvdf and its ext4 (resizefs)',
    });
  });
});

describe('command and shell', () => {
  it('creates/removes are read in one look; the command runs only when they allow it', () => {
    const args = { cmd: 'make install', creates: '/usr/bin/x', removes: '/tmp/src' };
    const { scripts: asked } = answer(command.probe!(args, planContext()), { stdout: 'C0\nR1\n' });
    expect(asked).toEqual([
      'set -- /usr/bin/x; if [ -e "$1" ] || [ -L "$1" ]; then echo C1; else echo C0; fi\nset -- /tmp/src; if [ -e "$1" ] || [ -L "$1" ]; then echo R1; else echo R0; fi',
    ]);
    expect(decide(command, args, [{ stdout: 'C1\nR1\n' }])).toMatchObject({ changed: false, msg: "Did not run command since '/usr/bin/x' exists" });
    expect(decide(command, args, [{ stdout: 'C0\nR0\n' }])).toMatchObject({ changed: false, msg: "Did not run command since '/tmp/src' does not exist" });
    expect(decide(command, args, [{ stdout: 'C0\nR1\n' }])).toMatchObject({ changed: true, msg: 'would run: /usr/bin/x does not exist' });
  });

  it('the declared probe runs in chdir, and exit 0 means nothing to do', () => {
    const args = { cmd: 'pcs cluster setup x', probe: 'test -f /etc/corosync/corosync.conf', chdir: '/root' };
    const q = command.probe!(args, planContext());
    expect(answer(q, { rc: 0 }).found).toEqual({ probeRc: 0 });
    expect(decide(command, args, [{ rc: 0 }])).toMatchObject({ changed: false, msg: 'probe reports the desired state is already there' });
    expect(decide(command, args, [{ rc: 1 }])).toMatchObject({ changed: true, msg: 'would run: probe exited 1' });
    expect(decide(command, { ...args, creates: '/x' }, [{ stdout: 'C1\n' }]).changed).toBe(false);
  });

  it('no argv is read by a shell: words are quoted; shell keeps the line; stdin gets its newline', () => {
    const out = command.plan({ cmd: "echo 'a b' $HOME", stdin: 'hi' }, {}, planContext());
    expect(out.steps?.[0]).toMatchObject({ kind: 'run', what: "echo 'a b' '$HOME'", stdin: 'hi\n' });
    expect((out.steps?.[0] as RunStep | undefined)?.script.split('\n').at(-1)).toBe("echo 'a b' '$HOME'");
    expect(command.plan({ argv: ['ls', '-l', 'a b'] }, {}, planContext()).steps?.[0]).toMatchObject({ what: "ls -l 'a b'" });
    expect(shell.plan({ cmd: 'echo $HOME | wc -c', executable: '/bin/bash' }, {}, planContext()).steps?.[0]).toMatchObject({
      script: "/bin/bash -c 'echo $HOME | wc -c'",
    });
    expect(command.plan({}, {}, planContext())).toMatchObject({ failed: true, msg: 'no command given', result: { rc: 256 } });
    expect(command.plan({ cmd: 'ls', argv: ['ls'] }, {}, planContext())).toMatchObject({ failed: true, msg: 'only command or argv can be given, not both' });
  });

  it("as Ansible's command: a program not found is rc 2 with Python's message, executable only warns", () => {
    const out = command.plan({ cmd: 'nosuchprogram --x', executable: '/bin/bash' }, {}, planContext());
    const step = out.steps?.[0] as RunStep;
    expect(step.script).toContain('command -v nosuchprogram >/dev/null ||');
    const missing = step.result!({ rc: 127, stdout: '', stderr: '__engine_command_not_found__\n', seconds: 0 });
    expect(missing).toMatchObject({ rc: 2, failed: true, stdout: '', stderr: '', msg: "[Errno 2] No such file or directory: b'nosuchprogram'" });
    expect(missing.warnings).toEqual([
      `As of Ansible 2.4, the parameter 'executable' is no longer supported with the 'command' module. Not using '/bin/bash'.`,
    ]);
    // A chdir that is not there is Ansible's message, not the command's failure.
    const inDir = command.plan({ cmd: 'ls', chdir: '/no where' }, {}, planContext()).steps?.[0] as RunStep;
    expect(inDir.script.split('\n')[0]).toBe("cd -P -- '/no where' 2>/dev/null || { echo __engine_chdir_failed__ >&2; exit 1; }");
    expect(inDir.result!({ rc: 1, stdout: '', stderr: '__engine_chdir_failed__\n', seconds: 0 })).toMatchObject({
      failed: true,
      msg: "Unable to change directory before execution: [Errno 2] No such file or directory: b'/no where'",
    });
    // A program that is found and exits 127 itself is that program's failure.
    expect(step.result!({ rc: 127, stdout: '', stderr: 'its own error\n', seconds: 0 })).toMatchObject({ rc: 127, stderr: 'its own error' });
  });

  it('the result is what Ansible registers; a non-zero exit is a failed task', () => {
    const step = command.plan({ cmd: 'ls' }, {}, planContext()).steps![0] as RunStep;
    expect(step.result!({ rc: 0, stdout: 'a\nb\n\n', stderr: '', seconds: 0.25 })).toMatchObject({
      cmd: ['ls'],
      rc: 0,
      stdout: 'a\nb',
      stdout_lines: ['a', 'b'],
      delta: '0.250s',
      failed: false,
    });
    expect(step.result!({ rc: 2, stdout: '', stderr: 'no\n', seconds: 0 })).toMatchObject({ failed: true, msg: 'non-zero return code 2', stderr: 'no' });
  });
});

describe('wait_for', () => {
  it('the wait is one remote loop timed on the host; success, timeout and a predicted wait', () => {
    const args = { port: 5060, timeout: 5 };
    const { scripts: asked } = answer(wait_for.probe!(args, planContext()), { stdout: '1200\n' });
    expect(asked[0]).toContain('end=$(( $(date +%s) + 5 ))');
    expect(decide(wait_for, args, [{ stdout: '1200\n' }])).toMatchObject({
      changed: false,
      msg: 'port 127.0.0.1:5060 started after 1.2s',
      result: { elapsed: 1, state: 'started', port: 5060 },
    });
    expect(decide(wait_for, args, [{ rc: 1, stdout: '5000\n' }])).toMatchObject({
      failed: true,
      msg: 'Timeout when waiting for 127.0.0.1:5060',
    });
    const dry = planContext({ check: true, predict: true });
    expect(answer(wait_for.probe!(args, dry), { rc: 1, stdout: '3\n' }).scripts[0]).toContain('+ 0 ))');
    const predicted = decide(wait_for, args, [{ rc: 1, stdout: '3\n' }], dry);
    expect(predicted).toMatchObject({ predicted: true, msg: expect.stringContaining('predicted, not polled: the real run waits up to 5s') });
    expect(predicted.failed).toBeUndefined();
  });

  it('with neither port nor path it sleeps timeout seconds on the host; both are refused, as Ansible refuses them', () => {
    const args = { timeout: 2 };
    expect(answer(wait_for.probe!(args, planContext()), { stdout: '2003\n' }).scripts[0]).toContain('sleep 2; rc=0');
    expect(decide(wait_for, args, [{ stdout: '2003\n' }])).toMatchObject({ changed: false, result: { elapsed: 2 } });
    expect(wait_for.plan({ port: 1, path: '/x' }, { rc: 3, elapsed: 0 }, planContext())).toMatchObject({
      failed: true,
      msg: 'port and path parameter can not both be passed to wait_for',
    });
  });

  it('drained waits until the kernel lists no active connection on the port; a path with stopped or drained is refused', () => {
    const script = answer(wait_for.probe!({ port: 8080, state: 'drained', timeout: 3 }, planContext()), { stdout: '0\n' }).scripts[0];
    expect(script).toContain("awk -v p=1F90 'FNR > 1");
    expect(script).toContain('/proc/net/tcp /proc/net/tcp6');
    expect(decide(wait_for, { port: 8080, state: 'drained', timeout: 3 }, [{ rc: 1, stdout: '3000\n' }]).msg).toBe(
      'Timeout when waiting for 127.0.0.1:8080 to drain',
    );
    expect(wait_for.plan({ path: '/x', state: 'drained' }, { rc: 3, elapsed: 0 }, planContext()).msg).toBe(
      'state=drained should only be used for checking a port in the wait_for module',
    );
  });

  it('a path, its absence or a regex in it; a host that reads as an option is refused', () => {
    expect(answer(wait_for.probe!({ path: '/run/x', state: 'absent' }, planContext()), { stdout: '0\n' }).scripts[0]).toContain('[ ! -e /run/x ]');
    expect(answer(wait_for.probe!({ path: '/log', search_regex: 'ready' }, planContext()), { stdout: '0\n' }).scripts[0]).toContain('grep -Pq -- ready /log');
    // The line that matched comes before the time: its groups are Ansible's match_groups and match_groupdict.
    const regex = { path: '/log', search_regex: 'completed (?P<foo>\\w+) ([0-9]+)' };
    expect(decide(wait_for, regex, [{ stdout: 'completed data 123\n3012\n' }]).result).toMatchObject({
      elapsed: 3,
      path: '/log',
      match_groups: ['data', '123'],
      match_groupdict: { foo: 'data' },
    });
    expect(() => wait_for.probe!({ port: 1, host: '-x' }, planContext())).toThrow("invalid host '-x'");
  });
});

describe('setup', () => {
  it('parses the one-script facts into Ansible names', () => {
    const out = [
      '## os',
      'ID=debian',
      'VERSION_ID="12"',
      'NAME="Debian GNU/Linux"',
      'VERSION_CODENAME=bookworm',
      '## hostname',
      'pbx01',
      'pbx01.lan',
      '## cpus',
      '2',
      '## mem',
      'MemTotal:  2048000 kB',
      'MemAvailable:  1024000 kB',
      '## mounts',
      '/dev/sda1 1000 500 500 50% /',
      'overlay 1 1 1 1% /var/lib/docker/x',
      '## disks',
      'sdb 1073741824 disk',
      '## addrs',
      '2: eth0    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0',
      '1: lo    inet 127.0.0.1/8 scope host lo',
      '## route',
      'default via 10.0.0.1 dev eth0',
      '## time',
      'yes',
      '## init',
      'systemd',
      '## user',
      'root',
      '6.1.0',
      'x86_64',
      'Linux',
      '0',
      '0',
      '/root',
      '/bin/bash',
      '#1 SMP Debian',
      '## date',
      '1700000000 +0100 CET',
      '## pkg',
      'apt-get',
      '## selinux',
      'disabled',
      '## python',
      '/usr/bin/python3 3 11 2 final 0',
      '## env',
      Buffer.from('HOME=/root\0A=b=c\0').toString('base64'),
    ].join('\n');
    const facts = decide(setup, {}, [{ stdout: out }]).facts?.ansible_facts as Record<string, unknown>;
    expect(facts).toMatchObject({
      distribution: 'Debian',
      distribution_major_version: '12',
      os_family: 'Debian',
      hostname: 'pbx01',
      fqdn: 'pbx01.lan',
      processor_vcpus: 2,
      memtotal_mb: 2000,
      devices: { sdb: { size_bytes: 1073741824 } },
      all_ipv4_addresses: ['10.0.0.5'],
      default_ipv4: { address: '10.0.0.5', prefix: '24', interface: 'eth0', gateway: '10.0.0.1' },
      time_synchronized: true,
      service_mgr: 'systemd',
      system: 'Linux',
      user_dir: '/root',
      user_uid: 0,
      pkg_mgr: 'apt',
      domain: 'lan',
      selinux: { status: 'disabled' },
      python: { executable: '/usr/bin/python3', version: { major: 3, minor: 11, micro: 2, releaselevel: 'final', serial: 0 } },
      python_version: '3.11.2',
      env: { HOME: '/root', A: 'b=c' },
      date_time: {
        epoch: '1700000000',
        date: '2023-11-14',
        time: '23:13:20',
        tz: 'CET',
        tz_offset: '+0100',
        iso8601: '2023-11-14T22:13:20Z',
        weekday: 'Tuesday',
      },
    });
    expect(facts.mounts).toEqual([{ device: '/dev/sda1', mount: '/', size_total: 1024000, size_used: 512000, size_available: 512000 }]);
    // The module's own result names them with the ansible_ prefix, as Ansible's setup returns them.
    expect(decide(setup, {}, [{ stdout: out }]).result?.ansible_facts).toMatchObject({ ansible_system: 'Linux', ansible_hostname: 'pbx01' });
    // gather_subset: min always; hardware and network only when asked; filter by glob.
    const min = decide(setup, { gather_subset: ['!all'] }, [{ stdout: out }]).facts?.ansible_facts as Record<string, unknown>;
    expect(min).toHaveProperty('distribution', 'Debian');
    expect(min).not.toHaveProperty('mounts');
    expect(min).not.toHaveProperty('default_ipv4');
    const network = decide(setup, { gather_subset: 'network' }, [{ stdout: out }]).facts?.ansible_facts as Record<string, unknown>;
    expect(network).toHaveProperty('default_ipv4');
    expect(network).not.toHaveProperty('memtotal_mb');
    expect(Object.keys(decide(setup, { filter: 'ansible_distribution*' }, [{ stdout: out }]).facts?.ansible_facts as object).sort()).toEqual([
      'distribution',
      'distribution_id',
      'distribution_major_version',
      'distribution_release',
      'distribution_version',
    ]);
  });
});

describe('ping', () => {
  it('answers pong (or the data) after one command on the host; data=crash fails as Ansible’s', () => {
    expect(decide(ping, {}, [{ stdout: 'pong\n' }])).toMatchObject({ changed: false, result: { ping: 'pong' } });
    expect(decide(ping, { data: 'hi' }, [{ stdout: 'pong\n' }]).result).toEqual({ ping: 'hi' });
    expect(decide(ping, { data: 'crash' }, [{ stdout: 'pong\n' }])).toMatchObject({ failed: true, result: { module_stderr: 'Exception: boom\n' } });
    expect(decide(ping, {}, [{ stdout: '' }]).failed).toBe(true);
  });
});

describe('getent', () => {
  it('sets getent_<database>: colon fields for passwd, whitespace for others, a repeated key as a list', () => {
    const out = decide(getent, { database: 'passwd', key: 'root', service: 'files' }, [{ stdout: 'root:x:0:0:root:/root:/bin/bash\n' }]);
    // As an Ansible module's: under ansible_facts, which the run keeps as facts and as variables.
    expect(out.result?.ansible_facts).toEqual({ getent_passwd: { root: ['x', '0', '0', 'root', '/root', '/bin/bash'] } });
    const { scripts: asked } = answer(getent.probe!({ database: 'passwd', key: 'root', service: 'files' }, planContext()), { stdout: '' });
    expect(asked).toEqual(['getent passwd root -s files']);
    expect(getentEntries('http  80/tcp www\nhttp 80/udp\nhttp 80/sctp\n', undefined)).toEqual({ http: [['80/tcp', 'www'], ['80/udp'], ['80/sctp']] });
  });

  it("fails by getent's status in Ansible's words; fail_key false gives the missing key null", () => {
    expect(decide(getent, { database: 'passwd', key: 'nobody-here' }, [{ rc: 2 }])).toMatchObject({
      failed: true,
      msg: 'One or more supplied key could not be found in the database.',
    });
    expect(decide(getent, { database: 'passwd', key: 'nobody-here', fail_key: false }, [{ rc: 2 }]).result?.ansible_facts).toEqual({
      getent_passwd: { 'nobody-here': null },
    });
    expect(decide(getent, { database: 'nodb' }, [{ rc: 1 }]).msg).toBe('Missing arguments, or database unknown.');
  });
});

describe('tempfile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tempfile-'));
  const made = (args: Parameters<typeof mktempLine>[0]) => {
    const step = tempfile.plan(args, undefined, planContext()).steps![0] as RunStep;
    const res = spawnSync('sh', ['-c', step.script], { encoding: 'utf8' });
    return step.result!({ rc: res.status ?? 1, stdout: res.stdout, stderr: res.stderr, seconds: 0 });
  };

  it("makes a private file or directory named as Python's mkstemp names it, and returns its attributes", () => {
    const file = made({ path: dir, prefix: 'hello.', suffix: '.goodbye' });
    expect(file).toMatchObject({ state: 'file', mode: '0600', size: 0 });
    expect(String(file.path)).toMatch(new RegExp(`^${dir}/hello\\.[A-Za-z0-9]{8}\\.goodbye$`));
    expect(statSync(String(file.path)).isFile()).toBe(true);
    const directory = made({ state: 'directory', path: dir });
    expect(directory).toMatchObject({ state: 'directory', mode: '0700' });
    expect(String(directory.path)).toMatch(new RegExp(`^${dir}/ansible\\.[A-Za-z0-9]{8}$`));
    expect(made({ path: join(dir, 'none') })).toMatchObject({ failed: true, rc: 1 });
  });

  it('always changes, and is skipped in check mode (its name cannot be predicted)', () => {
    expect(mktempLine({})).toBe('mktemp --tmpdir="${TMPDIR:-/tmp}" ansible.XXXXXXXX');
    expect(tempfile.plan({}, undefined, planContext({ check: true }))).toMatchObject({ changed: false, result: { skipped: true } });
  });
});

describe('package', () => {
  it('drives apt on a host that has it, with installed/removed as present/absent', () => {
    const out = decide(packageModule, { name: ['curl', 'jq'], state: 'installed' }, [
      { stdout: 'apt-get\n' },
      { stdout: 'I curl installed|7.88\nI jq \nA 100\n' },
    ]);
    expect(out).toMatchObject({ changed: true, msg: 'install jq' });
    expect(scripts(out)[0]).toMatch(/apt-get install .* jq$/);
    expect(decide(packageModule, { name: 'curl', state: 'removed', use: 'apt' }, [{ stdout: '' }, { stdout: 'I curl installed|7.88\nA 1\n' }]).msg).toBe(
      'remove curl',
    );
  });

  it('another manager is named in the error, with the module that drives it', () => {
    expect(decide(packageModule, { name: 'curl' }, [{ stdout: 'dnf\n' }])).toMatchObject({
      failed: true,
      msg: 'package: only apt is built in; the package manager is dnf: use its module (ansible.builtin.dnf)',
    });
  });
});

describe('package_facts', () => {
  it('lists installed packages by name from dpkg (removed ones left out) or rpm', () => {
    const dpkg =
      '@apt\ninstalled\tbash\t5.2-2\tamd64\tshells\nconfig-files\told\t1\tall\tmisc\ninstalled\tlibc6\t2.36\tamd64\tlibs\ninstalled\tlibc6\t2.36\ti386\tlibs\n';
    const out = decide(package_facts, {}, [{ stdout: dpkg }]);
    expect(out.result?.ansible_facts).toEqual({
      packages: {
        bash: [{ name: 'bash', version: '5.2-2', arch: 'amd64', category: 'shells', source: 'apt' }],
        libc6: [
          { name: 'libc6', version: '2.36', arch: 'amd64', category: 'libs', source: 'apt' },
          { name: 'libc6', version: '2.36', arch: 'i386', category: 'libs', source: 'apt' },
        ],
      },
    });
    expect(packagesFact([{ manager: 'rpm', lines: ['bash\t5.1\t2.el9\t(none)\tx86_64'] }])).toEqual({
      bash: [{ name: 'bash', version: '5.1', release: '2.el9', epoch: null, arch: 'x86_64', source: 'rpm' }],
    });
  });

  it('asks only for the managers named; an unknown one or none found fails', () => {
    const { scripts: asked } = answer(package_facts.probe!({ manager: 'rpm' }, planContext()), { stdout: '' });
    expect(asked[0]).toMatch(/^if command -v rpm /);
    expect(asked[0]).not.toContain('dpkg');
    expect(decide(package_facts, { manager: 'portage' }, [{ stdout: '' }]).msg).toBe('Unsupported package manager: portage (apt and rpm are)');
    expect(decide(package_facts, {}, [{ stdout: '' }])).toMatchObject({ failed: true });
  });
});

describe('service_facts', () => {
  const units = [
    '@systemd',
    'ssh.service loaded active running OpenBSD Secure Shell server',
    'cron.service loaded inactive dead Regular background program processing daemon',
    'gone.service not-found inactive dead gone.service',
    'bad.service loaded failed failed Broken',
    '@files',
    'ssh.service enabled enabled',
    'cron.service disabled enabled',
    'gone.service masked enabled',
    'bad.service enabled enabled',
    'spare.service disabled enabled',
  ].join('\n');

  it("reads systemd's units and unit files as Ansible's: state, status (the unit file's unless a bad state), source", () => {
    const { found, scripts: asked } = answer(service_facts.probe!({}, planContext()), { stdout: units }, { stdout: 'spare.service inactive\n' });
    expect(asked[1]).toContain('for u in spare.service;');
    expect(found).toEqual({
      'ssh.service': { name: 'ssh.service', state: 'running', status: 'enabled', source: 'systemd' },
      'cron.service': { name: 'cron.service', state: 'stopped', status: 'disabled', source: 'systemd' },
      'gone.service': { name: 'gone.service', state: 'stopped', status: 'not-found', source: 'systemd' },
      'bad.service': { name: 'bad.service', state: 'stopped', status: 'failed', source: 'systemd' },
      'spare.service': { name: 'spare.service', state: 'inactive', status: 'disabled', source: 'systemd' },
    });
    expect(service_facts.plan({}, found, planContext()).result?.ansible_facts).toEqual({ services: found });
  });

  it('reads SysV scripts where systemd does not run', () => {
    expect(servicesFact({ sysv: [' [ + ]  ssh', ' [ - ]  cron', ' [ ? ]  hwclock.sh'] })).toEqual({
      ssh: { name: 'ssh', state: 'running', status: 'unknown', source: 'sysv' },
      cron: { name: 'cron', state: 'stopped', status: 'unknown', source: 'sysv' },
      'hwclock.sh': { name: 'hwclock.sh', state: 'unknown', status: 'unknown', source: 'sysv' },
    });
  });
});

describe('modprobe', () => {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const state = (over: { loaded?: boolean; dryRun?: string; load?: Record<string, string>; options?: Record<string, string> }) =>
    [
      `loaded ${over.loaded ? 'yes' : 'no'}`,
      ...(over.dryRun === undefined ? [] : [over.dryRun === '' ? 'dryrun 0' : 'dryrun 1', b64(over.dryRun)]),
      ...Object.entries(over.load ?? {}).flatMap(([path, text]) => [`load ${path}`, b64(text)]),
      ...Object.entries(over.options ?? {}).flatMap(([path, text]) => [`options ${path}`, b64(text)]),
      '',
    ].join('\n');
  const writes = (out: Outcome) => Object.fromEntries((out.steps ?? []).flatMap((s) => (s.kind === 'write' ? [[s.path, s.content.toString()]] : [])));

  it('loads a module not loaded, with its parameters; one loaded (or built in) is left alone', () => {
    const load = decide(modprobe, { name: 'dummy', params: 'numdummies=2' }, [{ stdout: state({ dryRun: '' }) }]);
    expect(load).toMatchObject({ changed: true, result: { name: 'dummy', params: 'numdummies=2', state: 'present' } });
    expect(scripts(load)).toEqual(['modprobe -- dummy numdummies=2']);
    expect(decide(modprobe, { name: 'dummy' }, [{ stdout: state({ loaded: true }) }])).toMatchObject({ changed: false });
  });

  it("a module modprobe -n cannot find fails with modprobe's words, in check mode too; absent unloads only what is loaded", () => {
    const missing = decide(modprobe, { name: 'nosuch' }, [
      { stdout: state({ dryRun: 'modprobe: FATAL: Module nosuch not found in directory /lib/modules/6.1\n' }) },
    ]);
    expect(missing).toMatchObject({ failed: true, msg: 'modprobe: FATAL: Module nosuch not found in directory /lib/modules/6.1' });
    expect(scripts(decide(modprobe, { name: 'dummy', state: 'absent' }, [{ stdout: state({ loaded: true }) }]))).toEqual(['modprobe -r -- dummy']);
    expect(decide(modprobe, { name: 'dummy', state: 'absent' }, [{ stdout: state({}) }])).toMatchObject({ changed: false });
  });

  it('persistent present writes the name and each parameter once, commenting out other values elsewhere; then nothing', () => {
    const before = { '/etc/modprobe.d/local.conf': 'options dummy numdummies=1\noptions other x=1\n' };
    const out = decide(modprobe, { name: 'dummy', params: 'numdummies=2', persistent: 'present' }, [{ stdout: state({ loaded: true, options: before }) }]);
    expect(out.changed).toBe(true);
    expect(writes(out)).toEqual({
      '/etc/modules-load.d/dummy.conf': 'dummy\n',
      '/etc/modprobe.d/local.conf': '#options dummy numdummies=1\noptions other x=1\n',
      '/etc/modprobe.d/dummy.conf': 'options dummy numdummies=2\n',
    });
    expect(out.diff?.map((d) => d.afterHeader)).toEqual(Object.keys(writes(out)));
    const after = {
      options: { '/etc/modprobe.d/dummy.conf': 'options dummy numdummies=2\n' },
      load: { '/etc/modules-load.d/x.conf': '# boot\n dummy # here\n' },
    };
    expect(decide(modprobe, { name: 'dummy', params: 'numdummies=2', persistent: 'present' }, [{ stdout: state({ loaded: true, ...after }) }])).toMatchObject({
      changed: false,
    });
  });

  it('persistent absent comments the lines out where they are; disabled leaves the files alone', () => {
    const files = { load: { '/etc/modules-load.d/dummy.conf': 'dummy\n' }, options: { '/etc/modprobe.d/dummy.conf': 'options dummy numdummies=2\n' } };
    const out = decide(modprobe, { name: 'dummy', state: 'absent', persistent: 'absent' }, [{ stdout: state(files) }]);
    expect(writes(out)).toEqual({ '/etc/modules-load.d/dummy.conf': '#dummy\n', '/etc/modprobe.d/dummy.conf': '#options dummy numdummies=2\n' });
    expect(decide(modprobe, { name: 'dummy', state: 'absent' }, [{ stdout: state(files) }])).toMatchObject({ changed: false });
  });

  it('the probe reads this machine as a host would: loaded or not, and the two directories', () => {
    // foundHere fails on a non-zero exit: the script must end well on a host without modules.
    expect(foundHere(modprobe.probe!({ name: 'engine_no_such_module', state: 'absent' }, planContext()))).toMatchObject({ loaded: false });
    expect(() => modprobe.probe!({ name: 'x.*|y' }, planContext())).toThrow("invalid kernel module name 'x.*|y'");
  });
});

describe('mount', () => {
  const FSTAB = '# static\nUUID=1 / ext4 errors=remount-ro 0 1\n/dev/sdb1 /data ext4 defaults 0 2\n';
  const state = (lines: string[]) => `${lines.join('\n')}\n`;
  const fstabAnswer = (text: string | undefined) => ({ stdout: text === undefined ? 'absent\n' : statOutput('file', { content: text }) });
  const mounted = (args: Parameters<typeof mount.plan>[0], probe: string[], fstab?: string) =>
    decide(
      mount,
      args,
      ['unmounted', 'remounted', 'ephemeral'].includes(args.state) ? [{ stdout: state(probe) }] : [{ stdout: state(probe) }, fstabAnswer(fstab)],
    );

  it("edits fstab as ansible.posix's: a differing line rewritten in place, a new one appended, fields escaped, boot false as noauto", () => {
    expect(setEntry(FSTAB, { path: '/data', state: 'present', src: '/dev/sdb1', fstype: 'xfs' })).toBe(
      FSTAB.replace('/dev/sdb1 /data ext4 defaults 0 2', '/dev/sdb1 /data xfs defaults 0 0'),
    );
    expect(setEntry(FSTAB, { path: '/my data', state: 'present', src: 'srv:/a&b', fstype: 'nfs', boot: false })).toBe(
      `${FSTAB}srv:/a\\046b /my\\040data nfs defaults,noauto 0 0\n`,
    );
    expect(setEntry(FSTAB, { path: '/data', state: 'present', src: '/dev/sdb1', fstype: 'ext4', passno: 2 })).toBe(FSTAB);
    expect(unsetEntry(FSTAB, { path: '/data', state: 'absent' })).toBe('# static\nUUID=1 / ext4 errors=remount-ro 0 1\n');
  });

  it('mounted: fstab written, the missing directories made, then mounted; the failure puts both back', () => {
    const out = mounted({ path: '/srv/a/b', state: 'mounted', src: 'tmpfs', fstype: 'tmpfs' }, ['missing /srv/a/b', 'missing /srv/a'], FSTAB);
    expect(out.changed).toBe(true);
    expect(out.diff?.[0].after).toBe(`${FSTAB}tmpfs /srv/a/b tmpfs defaults 0 0\n`);
    const [write, run] = out.steps as [WriteStep, RunStep];
    expect(write.path).toBe('/etc/fstab');
    expect(run.script).toContain(
      'mkdir /srv/a || exit 1\nmkdir /srv/a/b || exit 1\nif ! out=$( { mount /srv/a/b; } 2>&1); then\n  cat > /etc/fstab\n  rmdir /srv/a/b',
    );
    expect(run.stdin).toBe(FSTAB);
    expect(run.result!({ rc: 32, stdout: 'mount: /srv/a/b: bad option.\n', stderr: '', seconds: 0 })).toMatchObject({
      failed: true,
      msg: 'Error mounting /srv/a/b: mount: /srv/a/b: bad option.',
    });
  });

  it('mounted and the same line: nothing; a changed line remounts; another fstab goes to mount as -T', () => {
    const line = 'tmpfs /srv/a tmpfs size=1m 0 0\n';
    expect(
      mounted({ path: '/srv/a', state: 'mounted', src: 'tmpfs', fstype: 'tmpfs', opts: 'size=1m' }, ['mounted tmpfs tmpfs', 'exists'], line),
    ).toMatchObject({
      changed: false,
    });
    const changed = mounted(
      { path: '/srv/a', state: 'mounted', src: 'tmpfs', fstype: 'tmpfs', opts: 'size=2m', fstab: '/x/fstab' },
      ['mounted tmpfs tmpfs', 'exists'],
      line,
    );
    expect(scripts(changed)[1]).toContain('mount -o remount -T /x/fstab /srv/a 2>/dev/null || { umount /srv/a && mount -T /x/fstab /srv/a; }');
  });

  it('needs src and fstype where Ansible does, in its words; unmounted and absent act only on what is there', () => {
    expect(mounted({ path: '/srv/a', state: 'mounted' }, [], '')).toMatchObject({
      failed: true,
      msg: 'state is mounted but all of the following are missing: src, fstype',
    });
    expect(mounted({ path: '/srv/a', state: 'unmounted' }, ['exists'])).toMatchObject({ changed: false });
    expect(scripts(mounted({ path: '/srv/a', state: 'unmounted' }, ['mounted tmpfs tmpfs', 'exists']))).toEqual(['umount /srv/a']);
    const absent = mounted({ path: '/data', state: 'absent' }, ['mounted /dev/sdb1 ext4', 'exists', 'empty'], FSTAB);
    expect(scripts(absent).slice(1)).toEqual(['umount /data', 'rmdir /data']);
    expect(mounted({ path: '/data', state: 'absent' }, ['exists'], '# none\n')).toMatchObject({ changed: false });
    expect(mounted({ path: '/data', state: 'absent_from_fstab' }, ['mounted /dev/sdb1 ext4'], FSTAB).steps?.map((s) => s.kind)).toEqual(['write']);
  });

  it('ephemeral mounts without fstab, and refuses a mount point another source holds', () => {
    expect(scripts(mounted({ path: '/srv/e', state: 'ephemeral', src: 'tmpfs', fstype: 'tmpfs', opts: 'size=1m' }, ['exists']))[0]).toContain(
      'mount -t tmpfs -o size=1m tmpfs /srv/e',
    );
    expect(mounted({ path: '/srv/e', state: 'ephemeral', src: '/dev/sdc', fstype: 'ext4' }, ['mounted tmpfs tmpfs', 'exists'])).toMatchObject({
      failed: true,
      msg: expect.stringContaining('already mounted with a different source'),
    });
  });
});

/** What the request script prints: curl's exit and seconds, its -w line, stderr, the -D dump and the body, as base64. */
function curlOutput(o: { rc?: number; code: number; url: string; redirects?: number; head: string; body?: string; err?: string }): string {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  return [
    `curl ${o.rc ?? 0} 1`,
    `meta ${o.code} ${o.redirects ?? 0} ${o.url}`,
    `err ${b64(o.err ?? '')}`,
    `head ${b64(o.head)}`,
    `body ${b64(o.body ?? '')}`,
    '',
  ].join('\n');
}

describe('uri', () => {
  const redirected = curlOutput({
    code: 200,
    redirects: 1,
    url: 'http://127.0.0.1:8080/b',
    head: 'HTTP/1.1 302 Found\r\nLocation: /b\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 8\r\nSet-Cookie: sid=abc; Path=/\r\n\r\n',
    body: '{"a": 1}',
  });

  it("a GET is made by the probe, check mode too: the last response's headers as keys, json, cookies, Ansible's msg", () => {
    const out = decide(uri, { url: 'http://127.0.0.1:8080/a' }, [{ stdout: redirected }]);
    expect(out).toMatchObject({ changed: false, failed: false, msg: 'OK (8 bytes)' });
    expect(out.result).toMatchObject({
      status: 200,
      url: 'http://127.0.0.1:8080/b',
      redirected: true,
      content_type: 'application/json',
      json: { a: 1 },
      cookies: { sid: 'abc' },
      cookies_string: 'sid=abc',
    });
    expect(out.result).not.toHaveProperty('content');
    expect(out.steps).toBeUndefined();
  });

  it("a status not asked for fails in Ansible's words; no answer at all is status -1", () => {
    const missing = curlOutput({ code: 404, url: 'http://h/x', head: 'HTTP/1.0 404 File not found\r\n\r\n', body: 'nope' });
    expect(decide(uri, { url: 'http://h/x', return_content: true }, [{ stdout: missing }])).toMatchObject({
      failed: true,
      msg: 'Status code was 404 and not [200]: HTTP Error 404: File not found',
      result: { content: 'nope', status: 404 },
    });
    expect(decide(uri, { url: 'http://h/x', status_code: [200, 404] }, [{ stdout: missing }])).toMatchObject({ failed: false });
    const refused = curlOutput({ rc: 7, code: 0, url: 'http://h/x', head: '', err: 'curl: (7) Failed to connect to h port 80: Connection refused\n' });
    expect(decide(uri, { url: 'http://h/x' }, [{ stdout: refused }])).toMatchObject({
      failed: true,
      msg: 'Status code was -1 and not [200]: Request failed: Failed to connect to h port 80: Connection refused',
    });
  });

  it('another method is a step, never made in check mode; its body encoded per body_format, the password on stdin only', () => {
    const args = {
      url: 'http://h/api',
      method: 'POST',
      body: { name: 'a b' },
      body_format: 'form-urlencoded' as const,
      url_username: 'u',
      url_password: 's3cret',
    };
    const out = uri.plan(args, { files: {} }, planContext());
    const [step] = out.steps as RunStep[];
    expect(step.script).not.toContain('s3cret');
    expect(String(step.stdin)).toContain('user = "u:s3cret"');
    expect(String(step.stdin)).toContain('header = "Content-Type: application/x-www-form-urlencoded"');
    expect(String(step.stdin).endsWith('name=a+b')).toBe(true);
    expect(
      step.result!({ rc: 0, stdout: curlOutput({ code: 201, url: 'http://h/api', head: 'HTTP/1.1 201 Created\r\n\r\n' }), stderr: '', seconds: 0 }),
    ).toMatchObject({
      failed: true,
      status: 201,
    });
  });

  it('creates skips the request where the path exists; dest is written only when the body differs', () => {
    expect(decide(uri, { url: 'http://h/x', creates: '/etc/x' }, [{ stdout: 'yes\n' }])).toMatchObject({
      changed: false,
      msg: "skipped, since '/etc/x' exists",
    });
    const ok = curlOutput({ code: 200, url: 'http://h/x', head: 'HTTP/1.1 200 OK\r\n\r\n', body: 'data' });
    const wrote = decide(uri, { url: 'http://h/x', dest: '/tmp/x' }, [{ stdout: ok }, { stdout: 'absent\n' }]);
    expect(wrote).toMatchObject({ changed: true, result: { path: '/tmp/x' } });
    expect((wrote.steps as WriteStep[])[0].content.toString()).toBe('data');
  });
});

describe('uri form-multipart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'multipart-'));
  const file = join(dir, 'cdr.csv');
  writeFileSync(file, `${'caller,callee,seconds\n'.repeat(9)}\u00e9\n`);
  const fields = {
    b_note: 'nightly export',
    a_cdr: { filename: file },
    c_inline: { content: '{"a": 1}', filename: 'meta.json' },
    d_typed: { content: 'x', mime_type: 'text/x-custom' },
  };
  /** Ansible's own prepare_multipart (ansible-core's Python on this machine), its boundary given back as B. */
  const ansibleBody = (value: unknown) => {
    const py = `import json, sys, re
from ansible.module_utils.urls import prepare_multipart
ct, body = prepare_multipart(json.loads(sys.argv[1]))
b = re.search(r'boundary="([^"]+)"', ct).group(1)
sys.stdout.buffer.write(body.replace(b.encode(), b'B'))`;
    const run = spawnSync('/usr/bin/python3', ['-c', py, JSON.stringify(value)]);
    expect(run.status, String(run.stderr)).toBe(0);
    return run.stdout;
  };

  it("builds the body byte for byte as Ansible's prepare_multipart: sorted fields, a named file in base64 lines", () => {
    const { contentType, parts } = multipartBody(fields, 'B', (path) => base64Lines(readFileSync(path)));
    expect(contentType).toBe('multipart/form-data; boundary="B"');
    expect(Buffer.concat(parts as Buffer[]).toString('latin1')).toBe(ansibleBody(fields).toString('latin1'));
  });

  it('a host file (remote_src) is read on the host, as base64 lines; what prepare_multipart refuses is a task failure in its words', () => {
    const out = uri.plan(
      { url: 'http://h/up', method: 'POST', body_format: 'form-multipart', body: { a: { filename: '/srv/cdr.csv' } }, remote_src: true },
      { files: {} },
      planContext(),
    );
    const [step] = out.steps as RunStep[];
    expect(step.script).toContain('base64 -w 76 /srv/cdr.csv | sed \'s/$/\\r/\' >> "$d/body"');
    expect(() => uri.plan({ url: 'http://h/up', method: 'POST', body_format: 'form-multipart', body: { a: {} } }, { files: {} }, planContext())).toThrow(
      'failed to parse body as form-multipart: at least one of filename or content must be provided',
    );
    expect(() => uri.plan({ url: 'http://h/up', method: 'POST', body_format: 'form-multipart', body: { a: 5 } }, { files: {} }, planContext())).toThrow(
      'value must be a string, or mapping, cannot be type int',
    );
    expect(() => uri.plan({ url: 'http://h/up', method: 'POST', body: 'x', src: '/a', remote_src: true }, { files: {} }, planContext())).toThrow(
      'parameters are mutually exclusive: body|src',
    );
  });
});

describe('get_url', () => {
  const stat = (text: string) =>
    [`file 644 root root ${text.length} 1700000000`, '', createHash('sha256').update(text).digest('hex'), Buffer.from(text).toString('base64')].join('\n');
  const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

  it("a dest whose checksum matches is kept (its mode set if asked); a bad checksum argument fails in Ansible's words", () => {
    const args = { url: 'http://h/f.tgz', dest: '/opt/f.tgz', checksum: `sha256:${sha256('old')}` };
    const kept = decide(get_url, args, [{ stdout: stat('old') }, { stdout: `${sha1('old')}  -\n${sha256('old')}  -\n` }]);
    expect(kept).toMatchObject({ changed: false, msg: 'file already exists' });
    const chmod = decide(get_url, { ...args, mode: '0600' }, [{ stdout: stat('old') }, { stdout: `${sha1('old')}  -\n${sha256('old')}  -\n` }]);
    expect(scripts(chmod)).toEqual(['chmod 0600 /opt/f.tgz']);
    expect(decide(get_url, { ...args, checksum: 'abc' }, [{ stdout: stat('old') }, { stdout: `${sha1('old')}  -\n` }])).toMatchObject({
      failed: true,
      msg: 'The checksum parameter has to be in format <algorithm>:<checksum>',
    });
  });

  it("reads a checksum given as a URL first, in check mode too, as Ansible's get_url reads a checksum file", () => {
    const sums = `${sha256('other')}  other.tgz\n${sha256('old')} *./f.tgz\n`;
    expect(checksumFromFile(sums, 'http://h/dl/f.tgz')).toBe(sha256('old'));
    expect(checksumFromFile(`${sha256('old')}\n`, 'http://h/f.tgz')).toBe(sha256('old'));
    expect(checksumFromFile(sums, 'http://h/none.tgz')).toBeUndefined();
    const args = { url: 'http://h/dl/f.tgz', dest: '/opt/f.tgz', checksum: 'sha256:http://h/dl/SHA256SUMS' };
    const served = { stdout: curlOutput({ code: 200, url: 'http://h/dl/SHA256SUMS', head: 'HTTP/1.1 200 OK\r\n\r\n', body: sums }) };
    const kept = decide(get_url, args, [served, { stdout: stat('old') }, { stdout: `${sha1('old')}  -\n${sha256('old')}  -\n` }]);
    expect(kept).toMatchObject({ changed: false, msg: 'file already exists' });
    const stale = decide(get_url, args, [served, { stdout: stat('stale') }, { stdout: `${sha1('stale')}  -\n${sha256('stale')}  -\n` }]);
    expect((stale.steps as RunStep[])[0].script).toContain(`[ "$got" = ${sha256('old')} ]`);
    const absent = { stdout: curlOutput({ code: 404, url: 'http://h/dl/SHA256SUMS', head: 'HTTP/1.1 404 Not Found\r\n\r\n' }) };
    expect(() => decide(get_url, args, [absent])).toThrow('HTTP Error 404: Not Found (the checksum file http://h/dl/SHA256SUMS)');
    expect(() => decide(get_url, { ...args, url: 'http://h/dl/g.tgz' }, [served])).toThrow(
      "Unable to find a checksum for file 'g.tgz' in 'http://h/dl/SHA256SUMS'",
    );
  });

  it("a directory dest takes the file name from a HEAD's Content-Disposition, else the URL answered; the download is one step that reports what it did", () => {
    const directory = { stdout: 'directory 755 root root 4096 1700000000\n\n' };
    const headed = (head: string, url = 'http://h/pkg/v1/tool.bin?x=1') => ({ stdout: curlOutput({ code: 200, url, head: `HTTP/1.1 200 OK\r\n${head}\r\n` }) });
    const named = decide(get_url, { url: 'http://h/dl?id=7', dest: '/opt' }, [
      directory,
      headed('Content-Disposition: attachment; filename="../../etc/tool-2.1.tgz"\r\n', 'http://h/dl?id=7'),
      { stdout: 'absent\n' },
    ]);
    expect(named).toMatchObject({ changed: true, result: { dest: '/opt/tool-2.1.tgz' } });
    const moved = decide(get_url, { url: 'http://h/latest', dest: '/opt' }, [directory, headed('', 'http://h/releases/tool-3.0.tgz'), { stdout: 'absent\n' }]);
    expect(moved).toMatchObject({ result: { dest: '/opt/tool-3.0.tgz' } });
    // curl's own HEAD: `request = "HEAD"` would wait for a body that never comes.
    const config = String(requestScript({ url: 'http://h/latest', method: 'HEAD', followRedirects: true, timeoutSec: 5 }).stdin);
    expect(config.split('\n')).toContain('head');
    expect(config).not.toContain('request =');
    const out = decide(get_url, { url: 'http://h/pkg/v1/tool.bin?x=1', dest: '/opt' }, [directory, headed(''), { stdout: 'absent\n' }]);
    expect(out).toMatchObject({ changed: true, result: { dest: '/opt/tool.bin' } });
    const [step] = out.steps as RunStep[];
    const answer = (extra: string[], code = 200, head = 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n') => ({
      rc: 0,
      stdout: curlOutput({ code, url: 'http://h/pkg/v1/tool.bin?x=1', head }) + extra.join('\n'),
      stderr: '',
      seconds: 0,
    });
    expect(step.result!(answer(['sha1 abc', 'md5 def', 'moved']))).toMatchObject({ changed: true, checksum_src: 'abc', md5sum: 'def', msg: 'OK (3 bytes)' });
    expect(step.result!(answer(['sha1 abc', 'md5 def', 'same']))).toMatchObject({ changed: false });
    expect(step.result!(answer([], 304, 'HTTP/1.1 304 Not Modified\r\n\r\n'))).toMatchObject({ changed: false, msg: 'HTTP Error 304: Not Modified' });
    expect(step.result!(answer([], 404, 'HTTP/1.1 404 Not Found\r\n\r\n'))).toMatchObject({
      failed: true,
      msg: 'Request failed',
      response: 'HTTP Error 404: Not Found',
    });
  });
});

describe('cron', () => {
  const crontab = (text: string) => ({ stdout: text, rc: 0 });
  const job = { name: 'backup', job: '/usr/local/bin/backup', minute: 5, hour: 2 };

  it("adds a job under its '#Ansible:' line, changes it in place, removes both lines; the same job by hand gets the header", () => {
    expect(placeJob(['MAILTO=ops'], job)).toEqual(['MAILTO=ops', '#Ansible: backup', '5 2 * * * /usr/local/bin/backup']);
    expect(placeJob(['#Ansible: backup', '0 1 * * * /usr/local/bin/backup'], job)).toEqual(['#Ansible: backup', '5 2 * * * /usr/local/bin/backup']);
    const same = ['#Ansible: backup', '5 2 * * * /usr/local/bin/backup'];
    expect(placeJob(same, job)).toBe(same);
    expect(placeJob(['5 2 * * * /usr/local/bin/backup'], job)).toEqual(same);
    expect(placeJob([...same, 'x'], { name: 'backup', state: 'absent' })).toEqual(['x']);
    expect(placeJob([], { name: 'boot', job: 'run', special_time: 'reboot', disabled: true, cron_file: 'f', user: 'root' })).toEqual([
      '#Ansible: boot',
      '#@reboot root run',
    ]);
  });

  it('env puts NAME=value at the top, or after/before another variable, and replaces it in place', () => {
    expect(placeEnv(['A=1', '#Ansible: x', '* * * * * y'], { name: 'PATH', job: '/bin', env: true })).toEqual([
      'PATH=/bin',
      'A=1',
      '#Ansible: x',
      '* * * * * y',
    ]);
    expect(placeEnv(['A=1', 'B=2'], { name: 'C', job: '3', env: true, insertafter: 'A' })).toEqual(['A=1', 'C=3', 'B=2']);
    expect(placeEnv(['A=1'], { name: 'A', job: '2', env: true })).toEqual(['A=2']);
    expect(placeEnv(['A=1', 'B=2'], { name: 'A', env: true, state: 'absent' })).toEqual(['B=2']);
  });

  it('reads crontab -l (none yet is empty), writes it back whole on stdin; registers jobs and envs', () => {
    const out = decide(cron, job, [{ rc: 1, stderr: 'no crontab for app\n' }]);
    expect(out).toMatchObject({ changed: true, result: { jobs: ['backup'], envs: [] } });
    const [install] = out.steps as RunStep[];
    expect(install.script).toBe('crontab -');
    expect(install.stdin).toBe('#Ansible: backup\n5 2 * * * /usr/local/bin/backup\n');
    expect(decide(cron, job, [crontab('#Ansible: backup\n5 2 * * * /usr/local/bin/backup\n')])).toMatchObject({ changed: false });
    expect(() => decide(cron, job, [{ rc: 1, stderr: 'crontab: user nobody2 unknown\n' }])).toThrow(/user nobody2 unknown/);
  });

  it("a cron file left empty is removed; /etc/crontab and a cron_file without user are refused in Ansible's words", () => {
    const file = { name: 'backup', cron_file: 'backup', state: 'absent' as const };
    const removed = decide(cron, file, [{ stdout: statOutput('file', { content: '#Ansible: backup\n5 2 * * * root /x\n\n   \n' }) }]);
    expect(scripts(removed)).toEqual(['rm -f -- /etc/cron.d/backup']);
    expect(decide(cron, { ...file, name: 'other' }, [{ stdout: 'absent\n' }])).toMatchObject({ changed: false });
    expect(decide(cron, { ...job, cron_file: '/etc/crontab', user: 'root' }, [{ stdout: 'absent\n' }])).toMatchObject({
      failed: true,
      msg: 'Will not manage /etc/crontab via cron_file, see documentation.',
    });
    expect(decide(cron, { ...job, cron_file: 'backup' }, [{ stdout: 'absent\n' }])).toMatchObject({
      failed: true,
      msg: 'To use cron_file=... parameter you must specify user=... as well',
    });
  });
});
