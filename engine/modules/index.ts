// The module registry: short names and their fully qualified Ansible names.
import { apt } from './apt';
import { aws_cluster_check } from './aws_cluster_check';
import { aws_prepare } from './aws_prepare';
import { pbx_server } from './pbx_server';
import { sip_probe } from './sip_probe';
import { blockinfile } from './blockinfile';
import { cluster_cib } from './cluster_cib';
import { command } from './command';
import { assert, debug, fail, pause, set_fact } from './control';
import { copy } from './copy';
import { file } from './file';
import { filesystem } from './filesystem';
import { group } from './group';
import { hostname } from './hostname';
import { include_vars } from './include_vars';
import { lineinfile } from './lineinfile';
import { service } from './service';
import { setup } from './setup';
import { shell } from './shell';
import { stat } from './stat';
import { sysctl } from './sysctl';
import type { Module } from './types';
import { template } from './template';
import { user } from './user';
import { wait_for } from './wait_for';

export const modules: Module[] = [
  command, shell, copy, template, file, filesystem, lineinfile, blockinfile, stat, apt, service,
  sysctl, user, group, hostname, wait_for, cluster_cib, aws_cluster_check, aws_prepare, sip_probe, pbx_server, assert, fail, debug, set_fact, pause, include_vars, setup,
];

/** Extra names for a module besides its own and ansible.builtin.<own>. */
const otherNames: Record<string, string> = {
  systemd: 'service',
  systemd_service: 'service',
  'ansible.builtin.systemd': 'service',
  'ansible.builtin.systemd_service': 'service',
  'ansible.posix.sysctl': 'sysctl',
  'community.general.filesystem': 'filesystem',
};

const registry = new Map<string, Module>();
for (const m of modules) {
  registry.set(m.name, m);
  registry.set(`ansible.builtin.${m.name}`, m);
}
for (const [alias, name] of Object.entries(otherNames)) registry.set(alias, registry.get(name)!);

export function findModule(name: string): Module | undefined {
  return registry.get(name);
}

export function moduleNames(): string[] {
  return [...registry.keys()];
}
