// ansible.cfg and the ANSIBLE_* variables: the settings of Ansible's this engine honours, found
// where Ansible finds them (ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg:
// the first that exists), each overridden by its environment variable; command-line flags and
// playbook keywords win over both. Paths in the file are relative to the file, as in Ansible.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { InputError } from '../errors';
import { BECOME_METHODS } from '../connection/types';
import { toBool } from './filters';

export interface AnsibleSettings {
  /** The config file read, if any. */
  file?: string;
  inventory?: string;
  forks?: number;
  rolesPath: string[];
  remoteUser?: string;
  hostKeyChecking?: boolean;
  vaultPasswordFile?: string;
  become?: boolean;
  becomeUser?: string;
  becomeMethod?: string;
}

/** Each setting: its section and key in the file, its environment variable. */
const SETTINGS = {
  inventory: ['defaults', 'inventory', 'ANSIBLE_INVENTORY'],
  forks: ['defaults', 'forks', 'ANSIBLE_FORKS'],
  rolesPath: ['defaults', 'roles_path', 'ANSIBLE_ROLES_PATH'],
  remoteUser: ['defaults', 'remote_user', 'ANSIBLE_REMOTE_USER'],
  hostKeyChecking: ['defaults', 'host_key_checking', 'ANSIBLE_HOST_KEY_CHECKING'],
  vaultPasswordFile: ['defaults', 'vault_password_file', 'ANSIBLE_VAULT_PASSWORD_FILE'],
  become: ['privilege_escalation', 'become', 'ANSIBLE_BECOME'],
  becomeUser: ['privilege_escalation', 'become_user', 'ANSIBLE_BECOME_USER'],
  becomeMethod: ['privilege_escalation', 'become_method', 'ANSIBLE_BECOME_METHOD'],
} as const;

function configFile(): string | undefined {
  const named = process.env.ANSIBLE_CONFIG;
  if (named) {
    const file = existsSync(named) && statSync(named).isDirectory() ? join(named, 'ansible.cfg') : named;
    if (!existsSync(file)) throw new InputError(`ANSIBLE_CONFIG names ${named}, which does not exist`);
    return resolve(file);
  }
  return [resolve('ansible.cfg'), join(homedir(), '.ansible.cfg'), '/etc/ansible/ansible.cfg'].find((f) => existsSync(f));
}

/** Sections of an INI file, each its keys and values (null: a key without a value). */
export type IniSections = Map<string, Map<string, string | null>>;

/**
 * An INI file as Python's configparser reads it: `[section]`, `key = value` or `key: value`,
 * whole-line comments with # or ;, indented lines continuing a value, keys lowercased unless
 * `caseSensitive`, a key or section twice an error. Ansible reads its own file with inline
 * comments after ` ;` (`inlineComments`); the ini lookup without.
 */
export function parseIni(text: string, file: string, how: { inlineComments?: boolean; caseSensitive?: boolean; allowNoValue?: boolean } = {}): IniSections {
  const sections: IniSections = new Map();
  let section: Map<string, string | null> | undefined;
  let last: string | undefined;
  const where = (i: number) => ({ file, line: i + 1, col: 1 });
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = how.inlineComments ? raw.replace(/\s;.*$/, '') : raw;
    if (!line.trim() || /^\s*[#;]/.test(line)) continue;
    if (/^\s/.test(line) && section && last !== undefined) {
      section.set(last, `${section.get(last) ?? ''}\n${line.trim()}`);
      continue;
    }
    const header = /^\[([^\]]+)\]\s*$/.exec(line);
    if (header) {
      if (sections.has(header[1])) throw new InputError(`section '${header[1]}' appears twice`, where(i));
      section = new Map();
      sections.set(header[1], section);
      last = undefined;
      continue;
    }
    const pair = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (!section) throw new InputError(`a key before any [section]: ${raw.trim()}`, where(i));
    if (!pair && !how.allowNoValue) throw new InputError(`cannot read this line: ${raw.trim()}`, where(i));
    const key = (pair ? pair[1] : line).trim();
    last = how.caseSensitive ? key : key.toLowerCase();
    if (section.has(last)) throw new InputError(`key '${last}' appears twice in its section`, where(i));
    section.set(last, pair ? pair[2].trim() : null);
  }
  return sections;
}

/** A list of paths: inventory sources are split at commas, role paths at colons (as Ansible's types). */
function paths(value: string | undefined, base: string, separator: ',' | ':'): string[] {
  return (value ?? '')
    .split(separator)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => (p.startsWith('~') ? join(homedir(), p.slice(1)) : isAbsolute(p) ? p : resolve(base, p)));
}

let cached: AnsibleSettings | undefined;

/** The settings, read once per process. */
export function ansibleSettings(): AnsibleSettings {
  if (cached) return cached;
  const file = configFile();
  const fromFile: IniSections = file ? parseIni(readFileSync(file, 'utf8'), file, { inlineComments: true }) : new Map();
  const base = file ? dirname(file) : process.cwd();
  // An environment variable's relative path is the working directory's, a file's the file's.
  const value = (name: keyof typeof SETTINGS): { text?: string; base: string } => {
    const [section, key, env] = SETTINGS[name];
    return process.env[env] !== undefined ? { text: process.env[env], base: process.cwd() } : { text: fromFile.get(section)?.get(key) ?? undefined, base };
  };
  const method = value('becomeMethod').text;
  if (method !== undefined && !BECOME_METHODS.includes(method))
    throw new InputError(`become_method '${method}' (${file ?? 'ANSIBLE_BECOME_METHOD'}): this engine becomes with ${BECOME_METHODS.join(' or ')} only`);
  const flag = (name: keyof typeof SETTINGS) => (value(name).text === undefined ? undefined : toBool(value(name).text));
  const forks = value('forks').text;
  if (forks !== undefined && !/^[1-9]\d*$/.test(forks.trim()))
    throw new InputError(`forks must be a positive integer, got '${forks}' (${file ?? 'ANSIBLE_FORKS'})`);
  const inventory = paths(value('inventory').text, value('inventory').base, ',');
  if (inventory.length > 1) throw new InputError(`inventory names ${inventory.length} sources (${inventory.join(', ')}); this engine reads one`);
  cached = {
    file,
    inventory: inventory[0],
    forks: forks === undefined ? undefined : Number(forks),
    rolesPath: paths(value('rolesPath').text, value('rolesPath').base, ':'),
    remoteUser: value('remoteUser').text,
    hostKeyChecking: flag('hostKeyChecking'),
    vaultPasswordFile: paths(value('vaultPasswordFile').text, value('vaultPasswordFile').base, ',')[0],
    become: flag('become'),
    becomeUser: value('becomeUser').text,
    becomeMethod: method,
  };
  return cached;
}
