// package: the host's own package manager, as Ansible's package action. apt is native (the apt
// module's probe and plan); another manager is named in the error, with the module that drives it.
import { apt } from './apt';
import { type Module, Query } from './types';

interface PackageArgs {
  name: string | string[];
  state?: 'present' | 'installed' | 'latest' | 'absent' | 'removed';
  use?: string;
}

type PackageFound = { manager: 'apt'; apt: unknown } | { manager: string };

/** The first manager found, in the order Ansible's fact ansible_pkg_mgr prefers them. */
const DETECT = 'for m in apt-get dnf yum zypper apk pacman; do if command -v "$m" >/dev/null 2>&1; then echo "$m"; exit 0; fi; done; echo unknown';

/** apt's arguments for package's: installed/removed are present/absent under their other names. */
function aptArgs(args: PackageArgs) {
  const state = args.state === 'installed' ? 'present' : args.state === 'removed' ? 'absent' : args.state;
  return { name: args.name, state };
}

export const packageModule: Module<PackageArgs, PackageFound> = {
  name: 'package',
  freeForm: 'kv',
  argAliases: { pkg: 'name' },
  schema: {
    type: 'object',
    description: "Installs, upgrades or removes packages with the host's package manager (apt natively; on others the error names the module to use).",
    properties: {
      name: { type: ['string', 'array'], items: { type: 'string' }, description: 'Package name(s).' },
      state: { enum: ['present', 'installed', 'latest', 'absent', 'removed'], description: 'Default present.' },
      use: { type: 'string', description: "The manager's module (default auto: the one the host has)." },
    },
    required: ['name'],
    additionalProperties: false,
  },
  probe(args, ctx) {
    const asked = args.use && args.use !== 'auto' ? args.use : undefined;
    const found = (manager: string): PackageFound | Query<PackageFound> =>
      manager === 'apt' ? (apt.probe!(aptArgs(args), ctx) as Query<unknown>).map((state) => ({ manager: 'apt' as const, apt: state })) : { manager };
    if (asked) return new Query('true', () => found(asked));
    return new Query(DETECT, (res) => found(res.stdout.trim().replace(/^apt-get$/, 'apt')), { what: 'finding the package manager' });
  },
  plan(args, found, ctx) {
    if ('apt' in found) return apt.plan(aptArgs(args), found.apt as never, ctx);
    const hint =
      found.manager === 'unknown' ? 'no package manager found' : `the package manager is ${found.manager}: use its module (ansible.builtin.${found.manager})`;
    return { changed: false, failed: true, msg: `package: only apt is built in; ${hint}` };
  },
};
