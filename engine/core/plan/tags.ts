// Which tasks run: --tags/--skip-tags (with Ansible's always, never, tagged, untagged, all)
// and --role (only that role's tasks, and those tagged always).
import { globRegExp } from '../glob';
import type { Task } from '../load/types';

/** Which tasks a run picks: --tags, --skip-tags, --role. */
export interface Selection {
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

/** A task named by --start-at-task: its name or `role : name`, equal or matching as a glob (Ansible's fnmatch). */
function namedBy(pattern: string): (task: Task) => boolean {
  const glob = globRegExp(pattern);
  return (task) => [task.name, task.role ? `${task.role.name} : ${task.name}` : task.name].some((n) => n === pattern || glob.test(n));
}

/** The list from its first task that matches on (inside a block: the block from that task on). */
function fromFirst(tasks: Task[], matches: (task: Task) => boolean): Task[] | undefined {
  for (const [i, task] of tasks.entries()) {
    const inner = task.block ? fromFirst(task.block, matches) : undefined;
    if (inner) return [{ ...task, block: inner }, ...tasks.slice(i + 1)];
    if (!task.block && matches(task)) return tasks.slice(i);
  }
  return undefined;
}

/**
 * A play's task lists (pre_tasks, tasks, post_tasks) from the task --start-at-task names on:
 * the lists before it empty, the one holding it from that task. Undefined when the play has none.
 */
export function startingAt(lists: Task[][], pattern: string): Task[][] | undefined {
  const matches = namedBy(pattern);
  for (const [i, list] of lists.entries()) {
    const from = fromFirst(list, matches);
    if (from) return lists.map((l, j) => (j < i ? [] : j === i ? from : l));
  }
  return undefined;
}
