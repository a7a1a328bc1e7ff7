// Modules without a host: a plan context over fixture variables and files, and queries answered
// by canned command output, so probes' parsers and plans are tested on fixture states.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { ExecResult } from '../../engine/core/connection/types';
import { type PlanContext, Query } from '../../engine/core/modules/types';

export function planContext(over: Partial<PlanContext> = {}): PlanContext {
  const unused = (what: string) => () => {
    throw new Error(`the plan was not expected to use ${what}`);
  };
  return {
    host: 'node1',
    check: false,
    predict: false,
    vars: {},
    renderText: unused('renderText'),
    evaluate: unused('evaluate'),
    expression: unused('expression'),
    findLocal: unused('findLocal'),
    localPath: unused('localPath'),
    readYaml: unused('readYaml'),
    inventory: { host: unused('inventory.host'), group: unused('inventory.group') },
    ...over,
  };
}

/**
 * Answers a query (and the further queries its parser asks for) with canned results, in order,
 * as the runner would; a non-zero exit of a query that does not read its status throws, as it
 * fails the task. Returns what was found and the scripts asked for.
 */
export function answer<Found>(query: Query<Found> | Promise<Found>, ...answers: Array<Partial<ExecResult>>): { found: Found; scripts: string[] } {
  if (!(query instanceof Query)) throw new Error('the probe is not a query of the host');
  const scripts: string[] = [];
  let next: Found | Query<Found> = query;
  while (next instanceof Query) {
    const look: Query<Found> = next;
    scripts.push(look.script);
    const given = answers.shift();
    if (!given) throw new Error(`no canned answer for: ${look.script.split('\n')[0]}`);
    const res = { rc: 0, stdout: '', stderr: '', ...given };
    if (res.rc !== 0 && !look.options.anyStatus) throw new Error(`query failed (rc=${res.rc}): ${res.stderr}`);
    next = look.parse(res);
  }
  if (answers.length) throw new Error(`${answers.length} canned answer(s) not asked for`);
  return { found: next, scripts };
}

/**
 * A probe answered by this machine: each query's script (and its stdin) run by sh here, as a host
 * would run it, the further queries its parser asks for too. A failing query throws, as it fails the task.
 */
export function foundHere<Found>(query: Query<Found> | Promise<Found>): Found {
  if (!(query instanceof Query)) throw new Error('the probe is not a query of the host');
  let next: Found | Query<Found> = query;
  while (next instanceof Query) {
    const look: Query<Found> = next;
    const run = spawnSync('sh', ['-c', look.script], { encoding: 'utf8', input: look.options.stdin });
    const res = { rc: run.status ?? 1, stdout: run.stdout, stderr: run.stderr };
    if (res.rc !== 0 && !look.options.anyStatus) throw new Error(`query failed (rc=${res.rc}): ${res.stderr}`);
    next = look.parse(res);
  }
  return next;
}

/** The stat query's output for a path: type and attributes, link target, checksum, base64 content. */
export function statOutput(type: string, opts: { mode?: string; owner?: string; group?: string; content?: string; link?: string } = {}): string {
  const content = opts.content ?? '';
  const head = `${type} ${opts.mode ?? '644'} ${opts.owner ?? 'root'} ${opts.group ?? 'root'} ${content.length} 1700000000`;
  const sha = createHash('sha256').update(content).digest('hex');
  return [head, opts.link ?? '', type === 'file' ? sha : '', type === 'file' ? Buffer.from(content).toString('base64') : '-'].join('\n');
}
