// Builds the JSON Schemas (playbook, task list, inventory) from the module registry: ajv
// validates with them, and `engine schema --write` writes them for editors (yaml-language-server).
import { allModules, findModule, moduleNames } from '../modules';
import type { ArgSchema } from '../modules/types';
import { BECOME_METHODS } from '../connection/types';

const templated = { type: 'string', pattern: '\\{\\{', description: 'A Jinja2 expression.' };
const str = { type: 'string' };
const bool = { anyOf: [{ type: 'boolean' }, { enum: ['yes', 'no', 'true', 'false', 'True', 'False'] }, templated] };
const strList = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] };
const conditions = { anyOf: [{ type: ['string', 'boolean'] }, { type: 'array', items: { type: ['string', 'boolean'] } }] };
const vars = { type: 'object', description: 'Variables.' };
const intOrTemplate = { anyOf: [{ type: 'integer' }, templated] };

/** Keywords valid on every task, block or handler, with their meaning as editor docs. */
const actionSpec = { anyOf: [str, { type: 'object', properties: { module: str }, required: ['module'] }] };

export const taskKeywords: Record<string, Record<string, unknown>> = {
  name: { type: ['string', 'null'], description: 'What the task does, shown in the output.' },
  when: { ...conditions, description: 'Run only when all conditions hold.' },
  loop: { description: 'Run once per item (a list or an expression giving one).' },
  loop_control: {
    type: 'object',
    properties: {
      label: { description: 'What to show per item.' },
      loop_var: str,
      index_var: str,
      pause: { type: 'number' },
      extended: { ...bool, description: 'ansible_loop is always set; accepted for Ansible content.' },
      extended_allitems: { ...bool, description: 'false: ansible_loop has no allitems.' },
    },
    additionalProperties: false,
  },
  register: { ...str, description: 'Store the result in this variable.' },
  notify: { ...strList, description: 'Handlers to run at the end of the play when this task changed something.' },
  listen: { ...strList, description: 'Topics a handler answers to (handlers only).' },
  tags: { ...strList, description: 'Tags for --tags/--skip-tags.' },
  vars: { ...vars, description: 'Variables for this task (or block).' },
  args: { type: 'object', description: 'Module arguments (merged with the inline ones).' },
  become: { ...bool, description: 'Run as another user through sudo.' },
  become_user: { ...str, description: 'User to become (default root).' },
  remote_user: { ...str, description: "User to log in as for this task (a host's ansible_user wins over it)." },
  become_method: { enum: BECOME_METHODS, description: 'How to become the user: sudo (default) or su.' },
  delegate_to: { ...str, description: "Run on this host instead, with the current host's variables." },
  delegate_facts: { ...bool, description: 'With delegate_to: facts this task sets go to the delegated host, not the current one.' },
  run_once: { ...bool, description: 'Run on the first host only; the result goes to all.' },
  no_log: { ...bool, description: 'Never show arguments or results of this task in any output.' },
  check_mode: { ...bool, description: 'true: never change anything; false: run even under --check.' },
  diff: { ...bool, description: "true: show this task's diff even without --diff; false: never show it (secrets)." },
  ignore_errors: { ...bool, description: 'A failure does not stop this host.' },
  ignore_unreachable: { ...bool, description: 'An unreachable host is not taken out of the play: it counts as ignored and the next task tries again.' },
  changed_when: { ...conditions, description: 'Condition deciding whether the result counts as changed.' },
  failed_when: { ...conditions, description: 'Condition deciding whether the result counts as failed.' },
  until: { ...conditions, description: 'Retry until this condition holds.' },
  retries: { ...intOrTemplate, description: 'Attempts for until (default 3).' },
  async: { ...intOrTemplate, description: "Run the task's commands in the background on the host, for at most this many seconds." },
  poll: { ...intOrTemplate, description: 'With async: seconds between checks (default 15); 0: do not wait, async_status reads the job later.' },
  delay: { anyOf: [{ type: 'number' }, templated], description: 'Seconds between retries (default 5).' },
  environment: { type: ['object', 'string'], description: 'Environment variables for the command.' },
  block: { $ref: '#/definitions/taskList', description: 'Tasks run together.' },
  rescue: { $ref: '#/definitions/taskList', description: 'Run when a task of the block failed.' },
  always: { $ref: '#/definitions/taskList', description: 'Always run after the block.' },
  include_tasks: {
    anyOf: [str, { type: 'object', properties: { file: str, apply: { type: 'object' } }, required: ['file'] }],
    description: 'Load and run a task file at run time.',
  },
  import_tasks: { ...str, description: 'Insert a task file at load time.' },
  include_role: {
    type: 'object',
    properties: { name: str, tasks_from: str, vars_from: str, defaults_from: str },
    required: ['name'],
    additionalProperties: false,
  },
  import_role: {
    type: 'object',
    properties: { name: str, tasks_from: str, vars_from: str, defaults_from: str },
    required: ['name'],
    additionalProperties: false,
  },
  meta: { enum: ['flush_handlers', 'noop', 'end_host', 'end_play', 'clear_host_errors'], description: 'Engine action.' },
  any_errors_fatal: bool,
  throttle: { ...intOrTemplate, description: 'At most this many hosts run the task at once.' },
  timeout: { ...intOrTemplate, description: 'Seconds the task may take on a host; then its command is ended there and the task fails.' },
  collections: { type: 'array' },
  action: { ...actionSpec, description: "The module as a keyword: 'name key=value ...', or a mapping of module: and its arguments." },
  local_action: { ...actionSpec, description: 'action, delegated to localhost.' },
  'ansible.builtin.include_tasks': { $ref: '#/definitions/task/properties/include_tasks' },
  'ansible.builtin.import_tasks': { $ref: '#/definitions/task/properties/import_tasks' },
  'ansible.builtin.include_role': { $ref: '#/definitions/task/properties/include_role' },
  'ansible.builtin.import_role': { $ref: '#/definitions/task/properties/import_role' },
  'ansible.builtin.meta': { $ref: '#/definitions/task/properties/meta' },
};

/** Arguments may be templated: every non-string type also accepts a string, an enum a Jinja2 expression. */
function loosen(schema: Record<string, unknown>): Record<string, unknown> {
  if (schema.enum) {
    const { enum: values, description } = schema;
    return { description, anyOf: [{ enum: values }, templated] };
  }
  const type = schema.type;
  if (type === undefined || type === 'string') return schema;
  const types = Array.isArray(type) ? type : [type];
  return { ...schema, type: types.includes('string') ? types : [...types, 'string'] };
}

function moduleArgs(schema: ArgSchema, aliases: Record<string, string> = {}): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries(schema.properties)) properties[name] = loosen(prop);
  for (const [alias, target] of Object.entries(aliases)) properties[alias] = { ...(properties[target] as object), description: `Alias of ${target}.` };
  // The free-form string form (`copy: src=a dest=b`) is allowed too; `required` only binds mappings.
  return { ...schema, type: ['object', 'string', 'null'], properties, required: Object.keys(aliases).length ? undefined : schema.required };
}

export function buildTasksSchema(): Record<string, unknown> {
  const moduleProps: Record<string, unknown> = {};
  for (const name of moduleNames()) moduleProps[name] = { $ref: `#/definitions/module_${findModule(name)!.name}` };
  const definitions: Record<string, unknown> = {
    taskList: { type: ['array', 'null'], items: { $ref: '#/definitions/task' } },
    task: {
      type: 'object',
      properties: { ...taskKeywords, ...moduleProps },
      patternProperties: {
        '^with_[a-z_]+$': { description: 'Loop over what the lookup of that name returns (with_items flattens one level, with_dict gives key/value, ...).' },
      },
      additionalProperties: false,
    },
  };
  for (const m of allModules()) definitions[`module_${m.name}`] = moduleArgs(m.schema, m.argAliases);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'tasks.schema.json',
    title: 'Task list (roles/*/tasks/*.yml, handlers, included task files)',
    $ref: '#/definitions/taskList',
    definitions,
  };
}

export function buildPlaybookSchema(): Record<string, unknown> {
  const roleRef = { anyOf: [str, { type: 'object', properties: { role: str, name: str, vars, tags: strList, when: conditions }, additionalProperties: true }] };
  const serialItem = {
    anyOf: [
      { type: 'integer', minimum: 1 },
      { type: 'string', pattern: '^(\\d+%?|\\{\\{.*\\}\\})$' },
    ],
  };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'playbook.schema.json',
    title: 'Playbook (playbooks/*.yml)',
    type: 'array',
    items: {
      type: 'object',
      properties: {
        name: { ...str, description: 'What the play does.' },
        hosts: { ...strList, description: 'Host pattern: group, host, a:b, !c, &d.' },
        import_playbook: { ...str, description: 'Include another playbook file.' },
        vars,
        vars_files: { type: 'array', items: str, description: 'Variable files (vault-encrypted allowed).' },
        vars_prompt: {
          type: 'array',
          description: 'Variables asked for when the play starts (unless -e gives them); without a terminal, the default or an error.',
          items: {
            type: 'object',
            properties: { name: str, prompt: str, default: {}, private: bool, confirm: bool, unsafe: bool },
            required: ['name'],
            additionalProperties: false,
          },
        },
        roles: { type: 'array', items: roleRef },
        pre_tasks: { $ref: 'tasks.schema.json#/definitions/taskList' },
        tasks: { $ref: 'tasks.schema.json#/definitions/taskList' },
        post_tasks: { $ref: 'tasks.schema.json#/definitions/taskList' },
        handlers: { $ref: 'tasks.schema.json#/definitions/taskList' },
        serial: { anyOf: [serialItem, { type: 'array', items: serialItem }], description: 'Batch size: number, percentage or a list of them.' },
        become: bool,
        become_user: str,
        become_method: { enum: BECOME_METHODS },
        gather_facts: bool,
        any_errors_fatal: bool,
        max_fail_percentage: { type: ['number', 'string'] },
        tags: strList,
        environment: { type: ['object', 'string'] },
        check_mode: bool,
        remote_user: str,
        connection: { enum: ['ssh', 'local'] },
        ignore_errors: bool,
        ignore_unreachable: bool,
        no_log: bool,
        strategy: { enum: ['linear', 'free'], description: 'linear: each task on all hosts, then the next; free: each host at its own pace.' },
        collections: { type: 'array' },
        action: { ...actionSpec, description: "The module as a keyword: 'name key=value ...', or a mapping of module: and its arguments." },
        local_action: { ...actionSpec, description: 'action, delegated to localhost.' },
        order: { enum: ['inventory', 'sorted', 'reverse_inventory', 'reverse_sorted'] },
      },
      additionalProperties: false,
    },
  };
}

export function buildInventorySchema(): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'inventory.schema.json',
    title: 'Inventory (Ansible YAML inventory format)',
    type: 'object',
    additionalProperties: { $ref: '#/definitions/group' },
    definitions: {
      group: {
        type: ['object', 'null'],
        properties: {
          hosts: { type: ['object', 'null'], additionalProperties: { type: ['object', 'null'], description: 'Host variables.' } },
          vars: { type: ['object', 'null'] },
          children: { type: ['object', 'null'], additionalProperties: { $ref: '#/definitions/group' } },
          plugin: { type: 'string', description: 'Dynamic inventory source.' },
        },
        additionalProperties: false,
      },
    },
  };
}
