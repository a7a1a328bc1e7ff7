// Ansible's `type: list` argument: a list as given, a string split at its commas (check_type_list).
export function listArg(value: string[] | string | number | undefined): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.map(String);
  return String(value).split(',');
}
