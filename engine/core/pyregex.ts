// Python's regular expressions as JavaScript reads them, for the patterns Ansible content writes:
// a leading inline flag group (`(?m)`, `(?i)`, `(?s)`), named groups `(?P<name>...)` and their
// back-references `(?P=name)`.
export function pythonRegExp(source: string, flags = ''): RegExp {
  let pattern = source;
  let all = flags;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(pattern);
  if (inline) {
    pattern = pattern.slice(inline[0].length);
    for (const flag of inline[1]) if ('ims'.includes(flag) && !all.includes(flag)) all += flag;
  }
  pattern = pattern.replace(/\(\?P<(\w+)>/g, '(?<$1>').replace(/\(\?P=(\w+)\)/g, '\\k<$1>');
  return new RegExp(pattern, all);
}
