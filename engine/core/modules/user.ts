// user: local accounts through useradd/usermod/userdel.
import { argvToShell, quote } from '../connection/quote';
import { type Module, ModuleError, Query, type RunStep } from './types';
import { argvStep } from './util/steps';
import { checkName } from './util/names';

interface UserArgs {
  name: string;
  state?: 'present' | 'absent';
  uid?: number;
  group?: string;
  groups?: string | string[];
  append?: boolean;
  shell?: string;
  home?: string;
  comment?: string;
  create_home?: boolean;
  system?: boolean;
  password?: string;
  remove?: boolean;
  force?: boolean;
}

interface Found {
  exists: boolean;
  uid?: number;
  /** The primary group's id (Ansible's result calls it group). */
  gid?: number;
  group?: string;
  groups: string[];
  shell?: string;
  home?: string;
  comment?: string;
  passwordHash?: string;
}

function probeUser(args: UserArgs): Query<Found> {
  const n = quote(checkName(args.name, 'user name'));
  return new Query(
    `getent passwd ${n} || exit 2; id -gn ${n}; id -Gn ${n}; getent shadow ${n} | cut -d: -f2`,
    (res) => {
      if (res.rc === 2) return { exists: false, groups: [] };
      if (res.rc !== 0) throw ModuleError.ofCommand(`looking up user ${args.name}`, res);
      return parseUser(res.stdout);
    },
    { anyStatus: true },
  );
}

/** Parses the passwd line, primary group, all groups and the shadow hash. */
function parseUser(stdout: string): Found {
  const [passwd, primary, all, hash] = stdout.split('\n');
  const f = passwd.split(':');
  return {
    exists: true,
    uid: Number(f[2]),
    gid: Number(f[3]),
    comment: f[4],
    home: f[5],
    shell: f[6],
    group: primary,
    groups: (all ?? '').split(' ').filter((g) => g && g !== primary),
    passwordHash: hash || undefined,
  };
}

function groupList(value: UserArgs['groups']): string[] | undefined {
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value : String(value).split(',')).map((g) => g.trim()).filter(Boolean);
}

export const user: Module<UserArgs, Found> = {
  name: 'user',
  argAliases: { createhome: 'create_home' },
  freeForm: 'kv',
  schema: {
    type: 'object',
    description: 'Creates, changes or removes a local user account.',
    properties: {
      name: { type: 'string', description: 'Login name.' },
      state: { enum: ['present', 'absent'], description: 'Default present.' },
      uid: { type: 'integer', description: 'User id.' },
      group: { type: 'string', description: 'Primary group.' },
      groups: { type: ['string', 'array'], items: { type: 'string' }, description: 'Supplementary groups.' },
      append: { type: 'boolean', description: 'Add to groups instead of setting exactly these.' },
      shell: { type: 'string', description: 'Login shell.' },
      home: { type: 'string', description: 'Home directory.' },
      comment: { type: 'string', description: 'GECOS field.' },
      create_home: { type: 'boolean', description: 'Create the home directory (default true).' },
      system: { type: 'boolean', description: 'A system account (on creation).' },
      password: { type: 'string', description: 'Password hash (crypt(3) format), never a clear text password.' },
      remove: { type: 'boolean', description: 'With state=absent, remove the home directory too.' },
      force: { type: 'boolean', description: "With state=absent, remove the user even while logged in (userdel's -f)." },
    },
    required: ['name'],
    additionalProperties: false,
  },
  probe: probeUser,
  plan(args, found) {
    if (args.state === 'absent') {
      if (!found.exists) return { changed: false, msg: 'user already absent' };
      const argv = ['userdel', ...(args.force ? ['-f'] : []), ...(args.remove ? ['-r'] : []), args.name];
      return {
        changed: true,
        msg: 'user would be removed',
        diff: [{ before: `user ${args.name}\n`, after: '', beforeHeader: 'users', afterHeader: 'users' }],
        steps: [argvStep(argv)],
      };
    }
    const wantGroups = groupList(args.groups);
    const opts: string[] = [];
    const changes: string[] = [];
    const want = (flag: string, key: string, wanted: unknown, have: unknown) => {
      if (wanted === undefined || (found.exists && wanted === have)) return;
      opts.push(flag, String(wanted));
      changes.push(`${key}: ${have ?? '(none)'} -> ${wanted}`);
    };
    want('-u', 'uid', args.uid, found.uid);
    want('-g', 'group', args.group, found.group);
    want('-s', 'shell', args.shell, found.shell);
    want('-d', 'home', args.home, found.home);
    want('-c', 'comment', args.comment, found.comment);
    // The hash goes to chpasswd on stdin, never into an argv that `ps` shows on the host.
    const password = args.password !== undefined && args.password !== found.passwordHash ? checkHash(args.password) : undefined;
    if (password !== undefined) changes.push(`password: ${found.passwordHash ? '(hash)' : '(none)'} -> (hash)`);
    if (wantGroups) {
      const missing = wantGroups.filter((g) => !found.groups.includes(g));
      const extra = args.append ? [] : found.groups.filter((g) => !wantGroups.includes(g));
      if (!found.exists || missing.length || extra.length) {
        opts.push(...(args.append && found.exists ? ['-a'] : []), '-G', wantGroups.join(','));
        changes.push(`groups: ${found.groups.join(',') || '(none)'} -> ${args.append ? [...found.groups, ...missing].join(',') : wantGroups.join(',')}`);
      }
    }
    const result = accountResult(args, found);
    if (found.exists && !opts.length && password === undefined) return { changed: false, msg: 'user already as wanted', result };
    const argv = found.exists
      ? opts.length
        ? ['usermod', ...opts, args.name]
        : undefined
      : ['useradd', ...(args.system ? ['-r'] : []), ...(args.create_home === false ? ['-M'] : ['-m']), ...opts, args.name];
    return {
      changed: true,
      msg: found.exists ? `user would change (${changes.map((c) => c.split(':')[0]).join(', ')})` : 'user would be created',
      diff: [
        {
          before: found.exists ? `user ${args.name}\n` : '',
          after: `user ${args.name}\n${changes.map((c) => `  ${c}\n`).join('')}`,
          beforeHeader: 'users',
          afterHeader: 'users',
        },
      ],
      result,
      steps: [
        ...(argv ? [argvStep(argv)] : []),
        ...(password !== undefined ? [{ kind: 'run' as const, script: 'chpasswd -e', stdin: `${args.name}:${password}\n` }] : []),
        ...(found.exists ? [] : [createdAccount(args.name)]),
      ],
    };
  },
};

/**
 * The account as Ansible's user module returns it (uid, group as the gid, home, shell, comment):
 * what the host has with the wanted changes; for a new account, what useradd will give it.
 */
function accountResult(args: UserArgs, found: Found): Record<string, unknown> {
  const account = {
    name: args.name,
    state: 'present',
    uid: args.uid ?? found.uid,
    group: found.gid,
    home: args.home ?? found.home ?? `/home/${args.name}`,
    shell: args.shell ?? found.shell,
    comment: args.comment ?? found.comment ?? '',
  };
  return found.exists
    ? { ...account, append: args.append ?? false, move_home: false }
    : { ...account, create_home: args.create_home !== false, system: args.system ?? false };
}

/** After useradd: the ids and paths it chose, into the result. */
function createdAccount(name: string): RunStep {
  return {
    kind: 'run',
    script: argvToShell(['getent', 'passwd', name]),
    what: `reading the new account ${name}`,
    result(res) {
      if (res.rc !== 0) throw ModuleError.ofCommand(`reading the new account ${name}`, res);
      const f = res.stdout.trim().split(':');
      return { uid: Number(f[2]), group: Number(f[3]), comment: f[4], home: f[5], shell: f[6] };
    },
  };
}

/** A crypt(3) hash as chpasswd -e reads it: one line, no field separator. */
function checkHash(hash: string): string {
  if (/[:\n\r]/.test(hash)) throw new ModuleError("password must be a crypt(3) hash: one line without ':'");
  return hash;
}
