// Free-form command lines read as ansible-core's splitter reads them (expected values are what
// ansible.parsing.splitter.parse_kv(..., check_raw=True) gives for the same input).
import { describe, expect, it } from 'vitest';
import { parseCommandLine, splitArgs } from '../../engine/core/load/splitter';

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
