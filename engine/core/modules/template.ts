// template: render a Jinja2 (.j2) template on the controller and write it like copy.
import { readFileSync } from 'node:fs';
import type { Module } from './types';
import { contentProperties, planContent, probeContent } from './util/content';
import type { RemoteStat } from './util/remote';

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

export const template: Module<TemplateArgs, RemoteStat> = {
  name: 'template',
  freeForm: 'kv',
  schema: {
    type: 'object',
    description: 'Renders a Jinja2 template (templates/ of the role or playbook) and writes it atomically.',
    properties: {
      src: { type: 'string', description: 'Template file, looked up in templates/ of the role, then the playbook.' },
      dest: { type: 'string', description: 'Remote path.' },
      ...contentProperties,
    },
    required: ['src', 'dest'],
    additionalProperties: false,
  },
  probe: (args) => probeContent(args.dest),
  plan(args, found, ctx) {
    const path = ctx.findLocal('templates', args.src);
    const content = Buffer.from(ctx.renderText(readFileSync(path, 'utf8'), path));
    return planContent({ ...args, content }, found);
  },
};
