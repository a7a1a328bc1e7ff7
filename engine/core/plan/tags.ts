// Which tasks run: --tags/--skip-tags (with Ansible's always, never, tagged, untagged, all)
// and --role (only that role's tasks, and those tagged always).
import type { Task } from '../load/types';

interface Selection {
  tags: string[];
  skipTags: string[];
  role?: string;
}

export function tagsMatch(taskTags: string[], sel: Selection): boolean {
  const matchesAny = (list: string[]) =>
    list.some((t) => (t === 'tagged' ? taskTags.length > 0 : t === 'untagged' ? taskTags.length === 0 : t === 'all' || taskTags.includes(t)));
  const always = taskTags.includes('always');
  // `always` tasks are skipped only when `always` itself is in --skip-tags.
  if (matchesAny(sel.skipTags) && !(always && !sel.skipTags.includes('always'))) return false;
  if (!sel.tags.length || sel.tags.includes('all')) return !taskTags.includes('never') || matchesAny(sel.tags.filter((t) => t !== 'all'));
  return always || matchesAny(sel.tags);
}

function wanted(task: Task, sel: Selection): boolean {
  // `always` means whatever the selection: --role keeps always-tagged tasks too (the preflight
  // checks guard every re-run of a single role).
  if (sel.role && task.role?.name !== sel.role && !(task.tags.includes('always') && !sel.skipTags.includes('always'))) return false;
  return tagsMatch(task.tags, sel);
}

/** Filters a task tree; a block stays when any of its tasks stays. */
export function selectTasks(tasks: Task[], sel: Selection): Task[] {
  const out: Task[] = [];
  for (const task of tasks) {
    if (task.block) {
      const block = selectTasks(task.block, sel);
      const rescue = selectTasks(task.rescue ?? [], sel);
      const always = selectTasks(task.always ?? [], sel);
      if (block.length || always.length) out.push({ ...task, block, rescue, always });
    } else if (wanted(task, sel)) out.push(task);
  }
  return out;
}

/** Every task of a tree, for listings (--list-tasks) and checks. */
export function flatten(tasks: Task[]): Task[] {
  return tasks.flatMap((t) => (t.block ? [...flatten(t.block), ...flatten(t.rescue ?? []), ...flatten(t.always ?? [])] : [t]));
}
