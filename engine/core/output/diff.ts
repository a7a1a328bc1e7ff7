// Unified diffs for --diff, produced by jsdiff.
import type { Diff } from '../modules/types';

export function formatDiff(diffs: Diff[]): string {
  const { createTwoFilesPatch } = require('diff') as typeof import('diff');
  return diffs
    .map((d) => {
      const patch = createTwoFilesPatch(d.beforeHeader ?? 'before', d.afterHeader ?? 'after', d.before, d.after, '', '', { context: 3 });
      return patch.replace(/^Index: .*\n=+\n/, '').replace(/\t$/gm, '');
    })
    .join('');
}
