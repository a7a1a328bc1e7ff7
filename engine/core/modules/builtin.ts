// The core's modules: Ansible's builtin ones the engine implements, under Ansible's names.
import { add_host } from './add_host';
import { apt } from './apt';
import { assemble } from './assemble';
import { async_status } from './async_status';
import { blockinfile } from './blockinfile';
import { command } from './command';
import { assert, debug, fail, pause, set_fact } from './control';
import { copy } from './copy';
import { cron } from './cron';
import { fetch } from './fetch';
import { file } from './file';
import { find } from './find';
import { filesystem } from './filesystem';
import { get_url } from './get_url';
import { getent } from './getent';
import { group } from './group';
import { group_by } from './group_by';
import { hostname } from './hostname';
import { include_vars } from './include_vars';
import { known_hosts } from './known_hosts';
import { lineinfile } from './lineinfile';
import { modprobe } from './modprobe';
import { mount } from './mount';
import { packageModule } from './package';
import { package_facts } from './package_facts';
import { ping } from './ping';
import { replace } from './replace';
import { service } from './service';
import { service_facts } from './service_facts';
import { setup } from './setup';
import { script } from './script';
import { shell } from './shell';
import { slurp } from './slurp';
import { stat } from './stat';
import { sysctl } from './sysctl';
import { tempfile } from './tempfile';
import type { Module } from './types';
import { template } from './template';
import { unarchive } from './unarchive';
import { uri } from './uri';
import { user } from './user';
import { wait_for } from './wait_for';

export const builtin: Module[] = [
  command,
  shell,
  script,
  copy,
  assemble,
  template,
  file,
  filesystem,
  mount,
  lineinfile,
  blockinfile,
  replace,
  stat,
  find,
  slurp,
  fetch,
  tempfile,
  apt,
  packageModule,
  package_facts,
  service,
  service_facts,
  sysctl,
  cron,
  modprobe,
  user,
  group,
  hostname,
  getent,
  known_hosts,
  ping,
  wait_for,
  uri,
  get_url,
  unarchive,
  async_status,
  assert,
  fail,
  debug,
  set_fact,
  add_host,
  group_by,
  pause,
  include_vars,
  setup,
];

/** The core's modules that Ansible has in a collection, not in ansible.builtin. */
const fromCollections: Record<string, string> = {
  'ansible.posix.sysctl': 'sysctl',
  'community.general.filesystem': 'filesystem',
  'community.general.modprobe': 'modprobe',
  'ansible.posix.mount': 'mount',
};

/** Ansible's other names for the core's modules (ansible.builtin.<name> for Ansible's builtin ones). */
export const builtinAliases: Record<string, string> = {
  ...Object.fromEntries(builtin.filter((m) => !Object.values(fromCollections).includes(m.name)).map((m) => [`ansible.builtin.${m.name}`, m.name])),
  ...fromCollections,
  systemd: 'service',
  systemd_service: 'service',
  'ansible.builtin.systemd': 'service',
  'ansible.builtin.systemd_service': 'service',
};
