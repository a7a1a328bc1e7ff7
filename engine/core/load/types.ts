// The loaded, normalized shape of playbooks, plays, roles and tasks.
import type { InputError, SourcePos } from '../errors';
import type { Module } from '../modules/types';

export type Vars = Record<string, unknown>;

export interface RoleInstance {
  name: string;
  path: string;
  defaults: Vars;
  vars: Vars;
  /** Variables given where the role is listed (`- role: x` + `vars:` or extra keys). */
  params: Vars;
  /** Roles this one depends on (meta/main.yml), in order, and itself. */
  chain: string[];
  /** Loaded as another role's meta dependency. */
  dependency?: boolean;
  /** The roles whose tasks included or imported this one, nearest first (ansible_parent_role_names). */
  parents: { name: string; path: string }[];
}

export interface Task {
  name: string;
  pos: SourcePos;
  /** Directory of the file the task came from, for relative includes. */
  dir: string;
  role?: RoleInstance;
  module?: Module;
  moduleName?: string;
  args: Vars;
  block?: Task[];
  rescue?: Task[];
  always?: Task[];
  include?: { kind: 'include_tasks' | 'include_role'; file?: string; role?: string; tasksFrom?: string };
  meta?: string;
  when: unknown[];
  loop?: unknown;
  /** `with_<lookup>`: the loop's items are that lookup run on its terms. */
  loopLookup?: string;
  loopControl: { label?: unknown; loop_var?: string; index_var?: string; pause?: number; extended_allitems?: unknown };
  register?: string;
  notify: string[];
  listen: string[];
  tags: string[];
  vars: Vars;
  become?: unknown;
  becomeUser?: unknown;
  becomeMethod?: unknown;
  /** Loop variables of the include_tasks/include_role item this task came from: data, never templated. */
  loopVars?: Vars;
  /** The user the connection logs in as for this task (a host's ansible_user wins over it). */
  remoteUser?: unknown;
  delegateTo?: unknown;
  runOnce?: unknown;
  noLog?: unknown;
  checkMode?: unknown;
  ignoreErrors?: unknown;
  ignoreUnreachable?: unknown;
  changedWhen?: unknown[];
  failedWhen?: unknown[];
  until?: unknown[];
  retries?: unknown;
  delay?: unknown;
  /** `async:` seconds its commands may run in the background on the host; `poll:` seconds between checks. */
  async?: unknown;
  poll?: unknown;
  environment?: unknown;
  anyErrorsFatal?: unknown;
  /** Seconds the task may take on a host; its commands are then ended there. */
  timeout?: unknown;
  /** At most this many hosts run the task at once. */
  throttle?: unknown;
  /** With delegate_to: facts the task sets go to the delegated host. */
  delegateFacts?: unknown;
  /** Show (true) or never show (false) this task's diff, whatever --diff says. */
  diff?: unknown;
  /** An argument its module does not take, or a required one missing: as in Ansible, the task fails when it runs. */
  argsProblem?: InputError;
}

export interface Play {
  name: string;
  pos: SourcePos;
  hosts: string | string[];
  vars: Vars;
  varsFiles: { path: string; pos: SourcePos }[];
  /** vars_prompt: asked for before the run (commands.ts), unless -e gives them. */
  varsPrompt: { name: string; prompt: string; default?: unknown; private: boolean; confirm: boolean; pos: SourcePos }[];
  roles: RoleInstance[];
  preTasks: Task[];
  /** Role tasks then the play's tasks (Ansible runs them in this order). */
  tasks: Task[];
  postTasks: Task[];
  handlers: Task[];
  serial?: unknown;
  become?: unknown;
  becomeUser?: unknown;
  becomeMethod?: unknown;
  gatherFacts: boolean;
  anyErrorsFatal: boolean;
  maxFailPercentage?: number;
  /** linear (each task on all hosts, then the next) or free (each host at its own pace). */
  strategy: 'linear' | 'free';
  /** The order hosts run in (inventory order by default). */
  order?: 'inventory' | 'sorted' | 'reverse_inventory' | 'reverse_sorted';
  tags: string[];
  environment?: unknown;
  checkMode?: unknown;
  remoteUser?: string;
  connection?: string;
  dir: string;
}

export interface Playbook {
  file: string;
  dir: string;
  plays: Play[];
}
