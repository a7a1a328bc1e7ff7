// Modules without a host: a plan context over fixture variables and files, and queries answered
// by canned command output, so probes' parsers and plans are tested on fixture states.
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
