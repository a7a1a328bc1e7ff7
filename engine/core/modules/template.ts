// template: render a Jinja2 (.j2) template on the controller and write it like copy.
import { regExpLiteral } from '../pyregex';
import { readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, resolve } from 'node:path';
import { pythonDateTime } from '../pytime';
import { type Module, ModuleError, type TemplateOptions } from './types';
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
  trim_blocks?: boolean;
  lstrip_blocks?: boolean;
  block_start_string?: string;
  block_end_string?: string;
  variable_start_string?: string;
  variable_end_string?: string;
  comment_start_string?: string;
  comment_end_string?: string;
  newline_sequence?: string;
  output_encoding?: string;
  follow?: boolean;
  /** Only from a '#jinja2:' first line. */
  line_statement_prefix?: string;
  line_comment_prefix?: string;
}

/** The Jinja2 environment the arguments ask for (Ansible's defaults: trim_blocks on, lstrip_blocks off). */
function templateOptions(args: TemplateArgs): TemplateOptions {
  const tags = {
    blockStart: args.block_start_string,
    blockEnd: args.block_end_string,
    variableStart: args.variable_start_string,
    variableEnd: args.variable_end_string,
    commentStart: args.comment_start_string,
    commentEnd: args.comment_end_string,
  };
  const given = Object.fromEntries(Object.entries(tags).filter(([, v]) => v !== undefined));
  return { trimBlocks: args.trim_blocks ?? true, lstripBlocks: args.lstrip_blocks ?? false, ...(Object.keys(given).length ? { tags: given } : {}) };
}

/** The environment settings a '#jinja2:' line may give (Ansible sets any of Jinja2's; these are the engine's). */
const OVERRIDE_KEYS: string[] = [
  'trim_blocks',
  'lstrip_blocks',
  'block_start_string',
  'block_end_string',
  'variable_start_string',
  'variable_end_string',
  'comment_start_string',
  'comment_end_string',
  'newline_sequence',
  'line_statement_prefix',
  'line_comment_prefix',
];

/**
 * Jinja2's line statements and line comments (`# for x in y` with prefix '#'), which nunjucks
 * lacks: a statement line as the block tag it stands for (its newline goes with it), a comment
 * cut from its prefix to the end of its line.
 */
function lineStatements(text: string, args: TemplateArgs): string {
  let out = text;
  if (args.line_comment_prefix) out = out.replace(new RegExp(`[ \\t]*${regExpLiteral(args.line_comment_prefix)}.*$`, 'gm'), '');
  if (args.line_statement_prefix) out = out.replace(new RegExp(`^[ \\t]*${regExpLiteral(args.line_statement_prefix)}(.*)$\\n?`, 'gm'), '{% $1 %}');
  return out;
}

/**
 * A first line `#jinja2: trim_blocks: False, lstrip_blocks: True` sets the template's own
 * environment, as Ansible reads it (Python literals after each colon); the line is not output.
 */
function jinjaOverrides(text: string): { text: string; overrides: Partial<TemplateArgs> } {
  if (!text.startsWith('#jinja2:')) return { text, overrides: {} };
  const eol = text.indexOf('\n');
  const line = text.slice('#jinja2:'.length, eol < 0 ? undefined : eol);
  const overrides: Record<string, unknown> = {};
  for (const pair of line.split(',')) {
    const at = pair.indexOf(':');
    if (at < 0) throw new ModuleError(`failed to parse jinja2 override '${pair.trim()}'. Did you use something different from colon as key-value separator?`);
    const key = pair.slice(0, at).trim();
    const raw = pair.slice(at + 1).trim();
    if (!OVERRIDE_KEYS.includes(key)) throw new ModuleError(`jinja2 override '${key}' is not supported by this engine (${OVERRIDE_KEYS.join(', ')})`);
    overrides[key] = raw === 'True' ? true : raw === 'False' ? false : raw.replace(/^(['"])(.*)\1$/, '$2');
  }
  return { text: eol < 0 ? '' : text.slice(eol + 1), overrides: overrides as Partial<TemplateArgs> };
}

/** windows-1252's characters at 0x80-0x9f (the rest of its first 256 are latin-1's). */
const CP1252 = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

/** The rendered text as bytes of output_encoding (Python's codec names: utf-8, latin-1, windows-1252, utf-16). */
function encodeOutput(text: string, encoding = ''): Buffer {
  const name = encoding.toLowerCase().replace(/_/g, '-');
  if (name === '' || name === 'utf-8' || name === 'utf8') return Buffer.from(text, 'utf8');
  if (['latin-1', 'latin1', 'iso-8859-1', 'iso8859-1'].includes(name)) return Buffer.from(text, 'latin1');
  if (name === 'utf-16') return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  if (name === 'utf-16-le' || name === 'utf-16le') return Buffer.from(text, 'utf16le');
  if (name === 'windows-1252' || name === 'cp1252') {
    return Buffer.from(
      [...text].map((ch) => {
        const at = CP1252.indexOf(ch);
        if (at >= 0) return 0x80 + at;
        const code = ch.codePointAt(0)!;
        if (code < 0x100 && (code < 0x80 || code > 0x9f)) return code;
        throw new ModuleError(`'${encoding}' codec can't encode character '${ch}'`);
      }),
    );
  }
  throw new ModuleError(`unknown output_encoding '${encoding}': utf-8, latin-1, windows-1252 or utf-16`);
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
      trim_blocks: { type: 'boolean', description: "Drop the first newline after a block tag (default true, as Ansible's)." },
      lstrip_blocks: { type: 'boolean', description: 'Strip blanks before a block tag at the start of a line (default false).' },
      block_start_string: { type: 'string', description: "Default '{%'." },
      block_end_string: { type: 'string', description: "Default '%}'." },
      variable_start_string: { type: 'string', description: "Default '{{'." },
      variable_end_string: { type: 'string', description: "Default '}}'." },
      comment_start_string: { type: 'string', description: "Default '{#'." },
      comment_end_string: { type: 'string', description: "Default '#}'." },
      newline_sequence: {
        enum: ['\n', '\r', '\r\n', '\\n', '\\r', '\\r\\n'],
        description: "The line ending the template's lines get (default \\n); escaped ('\\r\\n' in single-quoted YAML) too, as Ansible takes it.",
      },
      output_encoding: { type: 'string', description: 'utf-8 (default), latin-1, windows-1252, utf-16.' },
    },
    required: ['src', 'dest'],
    additionalProperties: false,
  },
  probe: (args) => probeTarget(args.dest, basename(args.src), args.follow),
  plan(args, found, ctx) {
    const path = ctx.findLocal('templates', args.src);
    const { text: source, overrides } = jinjaOverrides(readFileSync(path, 'utf8'));
    const text = ctx.renderText(lineStatements(source, { ...args, ...overrides }), path, templateVars(args, path), templateOptions({ ...args, ...overrides }));
    // Ansible takes the sequence escaped as well ('\r\n' in single-quoted YAML is backslash, r, ...).
    const newline = (overrides.newline_sequence ?? args.newline_sequence ?? '\n').replace(/\\r/g, '\r').replace(/\\n/g, '\n');
    const content = encodeOutput(newline === '\n' ? text : text.replace(/\r\n|\r|\n/g, newline), args.output_encoding);
    // mode preserve: the template file's own mode, as Ansible's.
    const mode = args.mode === 'preserve' ? (statSync(path).mode & 0o7777).toString(8).padStart(4, '0') : args.mode;
    const outcome = planContent({ ...args, mode, dest: found.path, content }, found.stat);
    // src: where the text came from (Ansible's names the rendered copy it uploaded).
    return { ...outcome, result: { ...outcome.result, src: path } };
  },
};
