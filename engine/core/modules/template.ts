// template: render a Jinja2 (.j2) template on the controller and write it like copy.
import { readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, resolve } from 'node:path';
import { pythonDateTime } from '../pytime';
import type { Module } from './types';
import { contentProperties, planContent, probeTarget, type Target } from './util/content';

interface TemplateArgs {
  src: string;
  dest: string;
  mode?: string | number;
  owner?: string;
  group?: string;
  backup?: boolean;
  force?: boolean;
  validate?: string;
}

/** What Ansible's template module tells its template about itself. */
function templateVars(args: TemplateArgs, path: string): Record<string, unknown> {
  const stat = statSync(path);
  return {
    template_host: hostname(),
    template_path: args.src,
    template_fullpath: resolve(path),
    template_destpath: args.dest,
    template_uid: userNameOf(stat.uid),
    template_mtime: pythonDateTime(stat.mtime),
    template_run_date: pythonDateTime(new Date()),
  };
}

/** The owner's name as Python's pwd gives it, else the number. */
function userNameOf(uid: number): string {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.split(':')[2] === String(uid));
  return line ? line.split(':')[0] : String(uid);
}

export const template: Module<TemplateArgs, Target> = {
  name: 'template',
  freeForm: 'kv',
  schema: {
    type: 'object',
    description: 'Renders a Jinja2 template (templates/ of the role or playbook) and writes it atomically.',
    properties: {
      src: { type: 'string', description: 'Template file, looked up in templates/ of the role, then the playbook.' },
      dest: { type: 'string', description: 'Remote path. Ending in /, or an existing directory: the file of the same name in it.' },
      ...contentProperties,
    },
    required: ['src', 'dest'],
    additionalProperties: false,
  },
  probe: (args) => probeTarget(args.dest, basename(args.src)),
  plan(args, found, ctx) {
    const path = ctx.findLocal('templates', args.src);
    const content = Buffer.from(ctx.renderText(readFileSync(path, 'utf8'), path, templateVars(args, path)));
    const outcome = planContent({ ...args, dest: found.path, content }, found.stat);
    // src: where the text came from (Ansible's names the rendered copy it uploaded).
    return { ...outcome, result: { ...outcome.result, src: path } };
  },
};
