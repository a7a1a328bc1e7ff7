// POSIX word splitting as Python's shlex.split does it, which is what Ansible's command module
// uses: quotes group words, but `;`, `|`, `$VAR` and globs stay literal text (no shell runs).
// Key=value task arguments keep `{{ ... }}` whole. shell-quote would turn `;` into operators and expand variables, so it does not fit here.

export function shlexSplit(text: string, keepJinja = false): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const jinja = keepJinja && ch === '{' && (text[i + 1] === '{' || text[i + 1] === '%') ? text.indexOf(text[i + 1] === '{' ? '}}' : '%}', i + 2) : -1;
    if (jinja >= 0) {
      // `path={{ base }}/x` written unquoted: a Jinja2 expression is one word, as in Ansible.
      word += text.slice(i, jinja + 2);
      i = jinja + 1;
      inWord = true;
    } else if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated single quote in: ${text}`);
      word += text.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (ch === '"') {
      i++;
      for (; i < text.length && text[i] !== '"'; i++) {
        if (text[i] === '\\' && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1])) i++;
        word += text[i];
      }
      if (i >= text.length) throw new Error(`unterminated double quote in: ${text}`);
      inWord = true;
    } else if (ch === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}
