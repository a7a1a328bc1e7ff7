// Names that reach a command as an operand (users, groups, packages, services, sysctl keys, host
// names) are checked before they do: a leading '-' would be read as an option.
import { ModuleError } from '../types';

/** Returns the name, or fails the task when the command would take it for an option. */
export function checkName(value: string, what: string): string {
  if (value === '' || value.startsWith('-') || /[\s\0]/.test(value))
    throw new ModuleError(`invalid ${what} '${value}': it must not be empty, start with '-' or contain white space`);
  return value;
}
