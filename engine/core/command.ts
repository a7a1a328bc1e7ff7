// What a command of the command line is, and the flags it reads: shared by the core's commands
// and those a layer on top registers (core/extension.ts), so neither imports the command line.
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
}

export type FlagValue = string | boolean | (string | boolean)[] | undefined;

/** The parsed flags, read by name and type. */
export class Flags {
  constructor(private readonly values: Readonly<Record<string, FlagValue>>) {}

  string(name: string): string | undefined {
    const v = this.values[name];
    return typeof v === 'string' ? v : undefined;
  }

  bool(name: string): boolean {
    return this.values[name] === true;
  }

  /** A repeatable string flag, in the order given. */
  list(name: string): string[] {
    const v = this.values[name];
    return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [];
  }

  /** How often a repeatable boolean flag was given (-vv = 2). */
  count(name: string): number {
    const v = this.values[name];
    return Array.isArray(v) ? v.length : v === true ? 1 : 0;
  }

  /** These flags with some replaced (a command that runs a playbook for the user). */
  with(overrides: Record<string, FlagValue>): Flags {
    return new Flags({ ...this.values, ...overrides });
  }
}

export interface CommandSpec {
  /** The command's word on the command line. */
  name: string;
  /** Its lines in `engine --help`: usage first, then what it does. */
  help: string;
  /** Flags only this command reads (the run options are everyone's). */
  options?: Record<string, OptionSpec>;
  run(args: string[], flags: Flags): Promise<number> | number;
}
