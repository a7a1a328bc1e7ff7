// POSIX shell quoting. zx's quote emits bash-only $'...' strings, but remote /bin/sh may be dash,
// so every value that reaches a remote shell goes through this single-quote form instead.

export function quote(value: string | number): string {
  const text = String(value);
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Joins argv into one shell command line, each word quoted. */
export function argvToShell(argv: (string | number)[]): string {
  return argv.map(quote).join(' ');
}

/**
 * A path as one shell word that no command can read as an option: a relative path starting
 * with '-' gets a './' in front (works for every command, with or without `--` support). A
 * leading `~` or `~user` is left for the host's shell to expand, as Ansible expands a path
 * argument on the host; the rest is quoted.
 */
export function quotePath(path: string): string {
  // The slash after it unquoted too: a tilde-prefix ends at the first unquoted slash.
  const home = /^~[\w.-]*(?:\/|$)/.exec(path)?.[0];
  if (home) return home + (path.length > home.length ? quote(path.slice(home.length)) : '');
  return quote(path.startsWith('-') ? `./${path}` : path);
}

/**
 * A glob pattern (`/tmp/a*.txt`, `~/x/[ab]?`) as one shell word list: its wildcards and a
 * leading `~` stay for the shell to expand, every other character is quoted.
 */
export function quoteGlob(pattern: string): string {
  const parts = pattern.match(/^~[\w.-]*(?=\/|$)|\*|\?|\[!?\]?[^\]]*\]|[^*?[]+|\[/g) ?? [];
  return parts.map((part, i) => (/^[*?]$|^\[.+\]$/.test(part) || (i === 0 && part.startsWith('~')) ? part : quote(part))).join('');
}
