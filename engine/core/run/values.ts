// A task's keywords and arguments rendered for one host: every value of a task goes through here,
// so each error names the keyword and the task's position, and the scope is chosen once.
import { InputError, LookupError } from '../errors';
import { toBool } from '../load/filters';
import { loopItems } from '../load/template/lookups';
import type { VarScope } from '../load/template/scope';
import type { Templar } from '../load/template/templar';
import type { Task, Vars } from '../load/types';
import type { TemplateOptions } from '../modules/types';

export class TaskValues {
  constructor(
    private readonly templar: Templar,
    readonly task: Task,
    readonly scope: VarScope,
  ) {}

  private where(keyword: string): string {
    return `task '${this.task.name}' ${keyword}`;
  }

  value(keyword: string, value: unknown): unknown {
    return this.templar.renderValue(value, this.scope, this.where(keyword), this.task.pos);
  }

  text(keyword: string, value: unknown): string {
    return String(this.value(keyword, value));
  }

  number(keyword: string, value: unknown): number {
    return Number(this.value(keyword, value));
  }

  /** A boolean keyword; not given is false. */
  flag(keyword: string, value: unknown): boolean {
    return value !== undefined && toBool(this.value(keyword, value));
  }

  /** Every condition holds (`when`, `until`, `changed_when`). */
  all(keyword: string, conditions: unknown[]): boolean {
    return conditions.every((c) => this.templar.evaluate(c, this.scope, this.where(keyword), this.task.pos));
  }

  /** Some condition holds (`failed_when`). */
  any(keyword: string, conditions: unknown[]): boolean {
    return conditions.some((c) => this.templar.evaluate(c, this.scope, this.where(keyword), this.task.pos));
  }

  expression(keyword: string, expression: string): unknown {
    return this.templar.expression(expression, this.scope, this.where(keyword), this.task.pos);
  }

  file(text: string, file: string, extra?: Vars, options?: TemplateOptions): string {
    return this.templar.renderFile(text, extra ? this.scope.with(extra) : this.scope, file, options);
  }

  /** The items of a `with_<lookup>` loop: the lookup run on the rendered terms, as Ansible's. */
  lookupItems(keyword: string, lookup: string, terms: unknown): unknown[] {
    const rendered = this.value(keyword, terms);
    try {
      return loopItems(lookup, rendered, this.templar.lookupContext(this.scope));
    } catch (err) {
      if (err instanceof LookupError) throw err;
      throw new InputError((err as Error).message, this.task.pos, keyword);
    }
  }

  /** The same task with more variables on top (loop items, the registered result): final values. */
  with(extra: Vars): TaskValues {
    return new TaskValues(this.templar, this.task, this.scope.with(extra));
  }
}
