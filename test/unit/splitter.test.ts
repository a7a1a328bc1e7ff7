// Free-form command lines read as ansible-core's splitter reads them (expected values are what
// ansible.parsing.splitter.parse_kv(..., check_raw=True) gives for the same input).
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { parseCommandLine, parseKv, splitArgs } from '../../engine/core/load/splitter';

describe('free-form command lines', () => {
  it('takes the options anywhere and keeps the command as written', () => {
    expect(parseCommandLine('make install chdir=/src creates="/usr/bin/x y"')).toEqual({
      options: { chdir: '/src', creates: '/usr/bin/x y' },
      command: 'make install',
    });
    expect(parseCommandLine('echo a=b  c')).toEqual({ options: {}, command: 'echo a=b  c' });
    expect(parseCommandLine('echo "x chdir=/no"')).toEqual({ options: {}, command: 'echo "x chdir=/no"' });
    expect(parseCommandLine('echo a\\=b')).toEqual({ options: {}, command: 'echo a=b' });
  });

  it('joins a line ending in a lone backslash and keeps newlines elsewhere, inside quotes too', () => {
    const script = 'echo this is a \\\n"multi echo" \\\n"with a new line\nin quotes" \\\n| cat\necho "second"\n';
    expect(parseCommandLine(script).command).toBe('echo this is a "multi echo" "with a new line\nin quotes" | cat\necho "second"\n');
  });

  it('keeps a Jinja2 block whole and refuses an unbalanced quote', () => {
    expect(splitArgs("echo {{ a | default('x y') }} z")).toEqual(['echo', "{{ a | default('x y') }}", 'z']);
    expect(() => splitArgs('echo "open')).toThrow('unbalanced jinja2 block or quotes');
  });
});

describe('key=value argument strings', () => {
  it("read as ansible-core's parse_kv reads them: quotes, escapes, Jinja2 blocks, words without =", () => {
    const inputs = [
      'msg="{{ "%r"|format(x) }}"',
      "src=a dest='b c' mode=0644",
      'line="a\\tb\\n" x=\\u00e9\\x41',
      'set_fact: "{{ \'x\' + item }}={{ item }}"',
      'free words a\\=b key=v=w',
      'msg=hello world',
      "regexp='\\\\b(.+)\\\\b' replace='\"\\1\"' octal=\\101",
    ];
    const python = execFileSync(
      '/usr/bin/python3',
      ['-c', 'import json,sys\nfrom ansible.parsing.splitter import parse_kv\nprint(json.dumps([parse_kv(t) for t in json.loads(sys.stdin.read())]))'],
      { input: JSON.stringify(inputs), encoding: 'utf8' },
    );
    const ours = inputs.map((text) => {
      const { options, raw } = parseKv(text);
      return raw.length ? { ...options, _raw_params: raw.join(' ') } : options;
    });
    expect(ours).toEqual(JSON.parse(python));
  });
});
