// sysctl: a kernel parameter in a sysctl file and, when reload is on, in the running kernel.
import { quote } from '../connection/quote';
import { type Module, Query } from './types';
import { textQuery } from './util/remote';
import { runStep, writeStep } from './util/steps';
import { fromLines, toLines } from './util/textedit';
import { checkName } from './util/names';

interface SysctlArgs {
  name: string;
  value?: string | number;
  state?: 'present' | 'absent';
  sysctl_file?: string;
  reload?: boolean;
}

interface Found {
  live?: string;
  text: string;
  fileExists: boolean;
}

const normalize = (v: string) => v.trim().split(/\s+/).join(' ');

/** The pure edit of the sysctl file, exported for unit tests. */
export function editSysctl(text: string, name: string, value: string | undefined): string {
  const keyOf = (line: string) => line.split('=')[0].trim().replace(/\//g, '.');
  const lines = toLines(text).filter((l, i, all) => {
    if (l.trim().startsWith('#') || keyOf(l) !== name) return true;
    return value !== undefined && all.findIndex((x) => !x.trim().startsWith('#') && keyOf(x) === name) === i;
  });
  if (value === undefined) return fromLines(lines);
  const at = lines.findIndex((l) => !l.trim().startsWith('#') && keyOf(l) === name);
  if (at >= 0) lines[at] = `${name} = ${value}`;
  else lines.push(`${name} = ${value}`);
  return fromLines(lines);
}

export const sysctl: Module<SysctlArgs, Found> = {
  name: 'sysctl',
  freeForm: 'kv',
  argAliases: { key: 'name', val: 'value' },
  schema: {
    type: 'object',
    description: 'Sets a kernel parameter persistently in a sysctl file and, with reload, in the running kernel.',
    properties: {
      name: { type: 'string', description: 'Parameter, e.g. net.ipv4.ip_nonlocal_bind.' },
      value: { type: ['string', 'integer'], description: 'Wanted value.' },
      state: { enum: ['present', 'absent'], description: 'Default present.' },
      sysctl_file: { type: 'string', description: 'Default /etc/sysctl.conf.' },
      reload: { type: 'boolean', description: 'Also set it in the running kernel (default true).' },
    },
    required: ['name'],
    additionalProperties: false,
  },
  probe(args) {
    // The running value (none for an unknown key), then the file.
    const file = textQuery(args.sysctl_file ?? '/etc/sysctl.conf');
    return new Query(
      `sysctl -n ${quote(checkName(args.name, 'sysctl key'))}`,
      (live) => file.map(({ stat, text }) => ({ live: live.rc === 0 ? normalize(live.stdout) : undefined, text: text ?? '', fileExists: stat.exists })),
      { anyStatus: true },
    );
  },
  plan(args, found) {
    const file = args.sysctl_file ?? '/etc/sysctl.conf';
    const value = args.state === 'absent' ? undefined : normalize(String(args.value ?? ''));
    if (args.state !== 'absent' && !value) return { changed: false, failed: true, msg: 'state=present needs value' };
    const text = editSysctl(found.text, args.name, value);
    const fileChanged = text !== found.text;
    const liveChanged = value !== undefined && args.reload !== false && found.live !== value;
    if (value !== undefined && args.reload !== false && found.live === undefined)
      return { changed: false, failed: true, msg: `unknown kernel parameter ${args.name}` };
    if (!fileChanged && !liveChanged) return { changed: false, msg: `${args.name} already ${value ?? 'absent'}` };
    const diff = [];
    if (fileChanged) diff.push({ before: found.text, after: text, beforeHeader: file, afterHeader: file });
    if (liveChanged)
      diff.push({
        before: `${args.name} = ${found.live}\n`,
        after: `${args.name} = ${value}\n`,
        beforeHeader: 'running kernel',
        afterHeader: 'running kernel',
      });
    return {
      changed: true,
      msg: [fileChanged && `${file} updated`, liveChanged && `live value ${found.live} -> ${value}`].filter(Boolean).join('; '),
      diff,
      steps: [
        ...(fileChanged ? [writeStep(file, Buffer.from(text))] : []),
        ...(liveChanged ? [runStep(`sysctl -q -w ${quote(`${args.name}=${value}`)}`)] : []),
      ],
    };
  },
};
