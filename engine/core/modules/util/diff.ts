// Diffs in the two shapes they take: the engine's (a list of texts with headers, as it shows
// them) and Ansible's (a result's `diff`: one mapping of before/after and their headers, or a list).
import { pythonJson } from '../../pyjson';
import type { Diff } from '../types';

/** A side of a diff as text; a mapping as Ansible's callback serializes it (sorted keys, indent 4). */
const asText = (v: unknown) => (v === undefined ? '' : typeof v === 'string' ? v : `${pythonJson(v, { indent: 4, sortKeys: true })}\n`);

/** A module's diff (a mapping, a list of them, or `prepared` text) as the engine shows diffs. */
export function diffsOf(raw: unknown): Diff[] {
  const all = Array.isArray(raw) ? raw : raw ? [raw] : [];
  return all.flatMap((d: Record<string, unknown>): Diff[] => {
    if (typeof d.prepared === 'string') return [{ before: '', after: d.prepared, afterHeader: 'prepared' }];
    if (!('before' in d) && !('after' in d)) return [];
    return [
      {
        before: asText(d.before),
        after: asText(d.after),
        beforeHeader: d.before_header as string | undefined,
        afterHeader: d.after_header as string | undefined,
      },
    ];
  });
}

/** The engine's diffs as a registered result's `diff`, in Ansible's shape. */
export function ansibleDiff(diffs: Diff[]): unknown {
  const one = (d: Diff) =>
    d.data ?? {
      before: d.before,
      after: d.after,
      ...(d.beforeHeader !== undefined ? { before_header: d.beforeHeader } : {}),
      ...(d.afterHeader !== undefined ? { after_header: d.afterHeader } : {}),
    };
  return diffs.length === 1 ? one(diffs[0]) : diffs.map(one);
}

/** A diff of two mappings (file's, as Ansible registers it), as text the way it is shown, and as itself. */
export function mappingDiff(data: { before: Record<string, unknown>; after: Record<string, unknown> }): Diff {
  return { before: asText(data.before), after: asText(data.after), data };
}
