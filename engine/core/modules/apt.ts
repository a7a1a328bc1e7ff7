// apt: Debian packages present, absent or latest, with an optional cache refresh.
import { argvToShell, quote, quotePath } from '../connection/quote';
import { type Module, Query, type RunStep } from './types';
import { runStep } from './util/steps';
import { checkName } from './util/names';
import { listArg } from './util/list-arg';

interface AptArgs {
  name?: string | string[];
  deb?: string;
  state?: 'present' | 'absent' | 'latest';
  update_cache?: boolean;
  cache_valid_time?: number;
  purge?: boolean;
  install_recommends?: boolean;
}

interface Found {
  /** Package and version inside the `deb` file, read on the host. */
  debPackage?: { name: string; version: string };
  installed: Record<string, string>;
  candidate: Record<string, string>;
  cacheAgeSeconds?: number;
}

function names(args: AptArgs): string[] {
  return listArg(args.name)
    .map((n) => n.trim())
    .filter(Boolean)
    .map((n) => checkName(n, 'package name'));
}

/** The package and version inside a .deb file, from dpkg-deb's fields. */
function parseDebFields(stdout: string): { name: string; version: string } {
  const fields = Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((l) => l.split(': ')),
  );
  return { name: fields.Package, version: fields.Version };
}

/** Installed versions (I), candidates (C) and the package cache's age in seconds (A). */
function parsePackages(stdout: string, debPackage?: Found['debPackage']): Found {
  const found: Found = { debPackage, installed: {}, candidate: {} };
  for (const line of stdout.split('\n')) {
    const [kind, name, value] = line.split(' ');
    if (kind === 'I' && value?.startsWith('installed|')) found.installed[name] = value.split('|')[1];
    if (kind === 'C' && value && value !== '(none)') found.candidate[name] = value;
    if (kind === 'A') found.cacheAgeSeconds = Number(name);
  }
  return found;
}

/** One look: installed versions, candidates (for latest) and the package cache age. */
function packagesQuery(args: AptArgs, debPackage?: Found['debPackage']): Query<Found> {
  const pkgs = (debPackage ? [debPackage.name] : names(args)).map(quote).join(' ');
  const script = [
    `for p in ${pkgs}; do printf 'I %s %s\\n' "$p" "$(dpkg-query -W -f='\${db:Status-Status}|\${Version}' "$p" 2>/dev/null)"; done`,
    args.state === 'latest' ? `apt-cache policy ${pkgs} 2>/dev/null | awk '/^[^ ]/{p=$1; sub(":$","",p)} /Candidate:/{print "C", p, $2}'` : 'true',
    `s=$(stat -c %Y /var/lib/apt/periodic/update-success-stamp /var/lib/apt/lists 2>/dev/null | sort -n | tail -1); echo "A $(( $(date +%s) - \${s:-0} ))"`,
  ].join('\n');
  return new Query(script, (res) => parsePackages(res.stdout, debPackage), { what: 'reading installed packages' });
}

/** A .deb file is read on the host first: its package name decides what to look up. */
function probeApt(args: AptArgs): Query<Found> {
  if (!args.deb) return packagesQuery(args);
  return new Query(`dpkg-deb -f ${quotePath(args.deb)} Package Version`, (res) => packagesQuery(args, parseDebFields(res.stdout)));
}

/** An apt-get run whose failure is the task's, with the last lines of what apt said. */
function aptStep(command: string): RunStep {
  return {
    kind: 'run',
    script: command,
    result: (res) =>
      res.rc === 0
        ? {}
        : {
            failed: true,
            rc: res.rc,
            msg: `${command.split(' ').slice(1, 3).join(' ')} failed: ${res.stderr.trim().split('\n').slice(-3).join(' | ')}`,
            stdout: res.stdout,
            stderr: res.stderr,
          },
  };
}

export const apt: Module<AptArgs, Found> = {
  name: 'apt',
  freeForm: 'kv',
  argAliases: { pkg: 'name', package: 'name' },
  schema: {
    type: 'object',
    description: 'Installs, upgrades or removes Debian packages with apt-get.',
    properties: {
      name: { type: ['string', 'array'], items: { type: 'string' }, description: 'Package name(s).' },
      deb: { type: 'string', description: 'Path of a .deb file on the host to install (its dependencies from the repositories).' },
      state: { enum: ['present', 'absent', 'latest'], description: 'Default present.' },
      update_cache: { type: 'boolean', description: 'Run apt-get update first (not counted as a change; skipped in check mode).' },
      cache_valid_time: { type: 'integer', description: 'Skip the update when the cache is younger than this many seconds.' },
      purge: { type: 'boolean', description: 'Remove configuration files too (state=absent).' },
      install_recommends: { type: 'boolean', description: 'Install recommended packages (default: apt configuration).' },
    },
    additionalProperties: false,
  },
  probe: probeApt,
  plan(args, found) {
    const refresh = args.update_cache === true && (args.cache_valid_time === undefined || (found.cacheAgeSeconds ?? Infinity) > args.cache_valid_time);
    const change = decide(args, found);
    if (!change.changed && !refresh) return { changed: false, msg: change.msg };
    return {
      changed: change.changed,
      // Without the refresh a dry run can only judge `latest` on the cache as it is now.
      msg: refresh ? `${change.msg} (judged on the current package cache; it would be refreshed first)` : change.msg,
      diff: change.changed ? [change.diff] : undefined,
      // Refresh, then probe and plan again: what to install is decided on the fresh cache, not the old one.
      steps: refresh
        ? [runStep('apt-get update -q'), { kind: 'replan', args: { ...args, update_cache: false }, result: { cache_updated: true } }]
        : change.commands.map(aptStep),
    };
  },
};

/** What to install and remove, from the arguments and what the probe found: a pure decision. */
function decide(args: AptArgs, found: Found) {
  const deb = found.debPackage;
  const pkgs = deb ? [deb.name] : names(args);
  const state = args.state ?? 'present';
  const missing = pkgs.filter((p) => !(p in found.installed) || (deb !== undefined && found.installed[p] !== deb.version));
  const outdated = state === 'latest' ? pkgs.filter((p) => p in found.installed && found.candidate[p] && found.candidate[p] !== found.installed[p]) : [];
  const removing = state === 'absent' ? pkgs.filter((p) => p in found.installed) : [];
  const installing = state === 'absent' ? [] : [...missing, ...outdated];
  const env = 'DEBIAN_FRONTEND=noninteractive';
  const commands: string[] = [];
  if (installing.length) {
    const recommends = args.install_recommends === undefined ? [] : [args.install_recommends ? '--install-recommends' : '--no-install-recommends'];
    const targets = deb ? [args.deb!.startsWith('/') ? args.deb! : `./${args.deb}`] : installing;
    commands.push(
      `${env} ${argvToShell(['apt-get', 'install', '-y', '-q', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold', ...recommends, ...targets])}`,
    );
  }
  if (removing.length) commands.push(`${env} ${argvToShell(['apt-get', args.purge ? 'purge' : 'remove', '-y', '-q', ...removing])}`);
  const changed = commands.length > 0;
  const newVersion = (p: string) => deb?.version ?? found.candidate[p] ?? 'installed';
  const before = `${pkgs.map((p) => `${p}: ${found.installed[p] ?? 'not installed'}`).join('\n')}\n`;
  const after = `${pkgs
    .map((p) => `${p}: ${removing.includes(p) ? 'not installed' : installing.includes(p) ? newVersion(p) : (found.installed[p] ?? 'not installed')}`)
    .join('\n')}\n`;
  const msg = changed
    ? [installing.length && `install ${installing.join(' ')}`, removing.length && `remove ${removing.join(' ')}`].filter(Boolean).join('; ')
    : `packages already ${state}`;
  return { changed, commands, msg, diff: { before, after, beforeHeader: 'packages', afterHeader: 'packages' } };
}
