// Pure parts: templating, text edits, word splitting, host patterns, precedence, known_hosts, vault.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { knownHostsName, verifyHostKey } from '../../engine/core/connection/knownhosts';
import { quote, quoteGlob } from '../../engine/core/connection/quote';
import { loadInventory, inventoryVars } from '../../engine/core/load/inventory';
import { Templar } from '../../engine/core/load/template/templar';
import { OMIT, VarScope } from '../../engine/core/load/template/scope';
import { decryptVault, encryptVault, setVaultPassword } from '../../engine/core/load/vault';
import { parseYaml } from '../../engine/core/load/yaml';
import { editBlock } from '../../engine/core/modules/blockinfile';
import { editLine } from '../../engine/core/modules/lineinfile';
import { editSysctl } from '../../engine/core/modules/sysctl';
import { shlexSplit } from '../../engine/core/connection/shlex';
import { resolvePattern } from '../../engine/core/plan/patterns';
import { tagsMatch } from '../../engine/core/plan/tags';
import { withoutSelinux } from '../../engine/core/run/task';
import { normalizeMode, symbolicMode } from '../../engine/core/modules/util/attrs';
import { project } from '../helpers/engine';

const templar = new Templar();
const render = (text: string, vars: Record<string, unknown> = {}) => templar.renderValue(text, new VarScope(vars, templar), 'test');

describe('templating', () => {
  it('keeps native types for a single expression and resolves variables lazily', () => {
    const vars = { vip: '172.31.16.130', cidr: '{{ vip }}/20', nodes: ['a', 'b'], all: '{{ nodes }}' };
    expect(render('{{ cidr }}', vars)).toBe('172.31.16.130/20');
    expect(render('{{ all }}', vars)).toEqual(['a', 'b']);
    expect(render('{{ nodes | length }}', vars)).toBe(2);
    expect(render('n={{ nodes | join(",") }}\n', vars)).toBe('n=a,b\n');
  });

  it("has Python's str, list and dict methods as Ansible content calls them; a dict's own key before a method of its name", () => {
    const v = { fqdn: 'pbx01.lab.example', domain: 'lab.example', line: '  a  b\tc \n', csv: 'a,b,,c', d: { b: 2, a: 1 }, l: ['x', 'y', 'x'] };
    expect(render("{{ fqdn.endswith('.' ~ domain) and fqdn.startswith(('db', 'pbx')) }}", v)).toBe(true);
    expect(render('{{ line.split() }}', v)).toEqual(['a', 'b', 'c']);
    expect(render("{{ csv.split(',') }}", v)).toEqual(['a', 'b', '', 'c']);
    expect(render("{{ csv.split(',', 1) }}", v)).toEqual(['a', 'b,,c']);
    expect(render("{{ 'a-b-c'.replace('-', '+') }}|{{ 'a-b-c'.replace('-', '+', 1) }}", v)).toBe('a+b+c|a+b-c');
    expect(render("[{{ line.strip() }}] [{{ '--x--'.strip('-') }}] [{{ line.rstrip() }}]", v)).toBe('[a  b\tc] [x] [  a  b\tc]');
    expect(render("{{ 'node {} of {total}'.format(1, total=3) }} {{ ', '.join(l) }} {{ 'PBX'.lower() }}", v)).toBe('node 1 of 3 x, y, x pbx');
    expect(render("{{ l.index('y') }} {{ l.count('x') }} {{ fqdn.find('.') }}", v)).toBe('1 2 5');
    expect(render('{% for k, val in d.items() %}{{ k }}={{ val }};{% endfor %}{{ d.keys() | list }}', v)).toBe("b=2;a=1;['b', 'a']");
    expect(render("{{ d.get('a') }} {{ d.get('z', 'none') }}", v)).toBe('1 none');
    expect(render("{{ {'items': 5}['items'] }}", v)).toBe(5);
    expect(render('{% set acc = [] %}{% for x in l %}{% set _ = acc.append(x | upper) %}{% endfor %}{{ acc | join("-") }}', v)).toBe('X-Y-X');
  });

  it('has the filters and tests Ansible users reach for', () => {
    const d = {
      m: { b: 2, a: 1 },
      l: [3, 1, 3],
      s: 'Hello World',
      items: [
        { n: 'x', on: true },
        { n: 'y', on: false },
      ],
    };
    expect(render('{{ m | dict2items | map(attribute="key") | list }}', d)).toEqual(['b', 'a']);
    expect(render('{{ m | dict2items | items2dict }}', d)).toEqual({ b: 2, a: 1 });
    expect(render('{{ l | unique }}', d)).toEqual([3, 1]);
    expect(render("{{ [5, '5', 2.5, true] | select('integer') | list }}", d)).toEqual([5]);
    expect(render("{{ [5, '5', 2.5] | select('float') | list }}", d)).toEqual([2.5]);
    expect(render('{{ s | regex_replace("(\\\\w+) (\\\\w+)", "\\\\2 \\\\1") }}', d)).toBe('World Hello');
    expect(render('{{ s | lower | replace("world", "pbx") }}', d)).toBe('hello pbx');
    expect(render("{{ 'yes' | bool }} {{ '42' | int + 1 }} {{ '/a/b.c' | basename }}", d)).toBe('True 43 b.c');
    expect(render('{{ undefined_thing | default("fallback") }}', d)).toBe('fallback');
    expect(render('{{ m | to_json }}', d)).toBe('{"b": 2, "a": 1}');
    expect(render('{{ m | to_yaml }}', d)).toBe('b: 2\na: 1\n');
    expect(render('{{ items | selectattr("on") | map(attribute="n") | list }}', d)).toEqual(['x']);
    expect(render('{{ items | rejectattr("n", "equalto", "x") | map(attribute="n") | first }}', d)).toBe('y');
    expect(render("{{ '24.04' is version('22.04', '>=') }}", d)).toBe(true);
    expect(render("{{ {'a': 1} | combine({'b': 2}) }}", d)).toEqual({ a: 1, b: 2 });
    expect(render('{{ "it\'s" | quote }}', d)).toBe(`'it'\\''s'`);
    expect(render("{{ l[:2] }} {{ l[1:] | join('') }} {{ s[-5:] }} {{ {'a': 1}['a'] }}", d)).toBe('[3, 1] 13 World 1');
  });

  it("refuses what Ansible's math filters and unknown tests refuse, in Ansible's words", () => {
    expect(() => render('{{ "yo" | log }}')).toThrow('log() can only be used on numbers: must be real number, not str');
    expect(() => render('{{ "yo" | pow(4) }}')).toThrow('pow() can only be used on numbers');
    expect(render('{{ [100 | log(10), 2 | pow(4), 9 | root, 8 | root(3)] }}')).toEqual([2, 16, 3, 2]);
    expect(() => render('{{ "monkeys" | human_readable }}')).toThrow('human_readable() failed on bad input');
    expect(() => render('{{ [] | rekey_on_member("a", duplicates="boo") }}')).toThrow('duplicates parameter to rekey_on_member has unknown value: boo');
    expect(() => render('{{ "minkeys" | rekey_on_member("a") }}')).toThrow('Type is not a valid list, set, or dict');
    expect(() => render('{{ [true] | rekey_on_member("a") }}')).toThrow('List item is not a valid dict');
    expect(() => render('{{ [{"b": 1}] | rekey_on_member("a") }}')).toThrow('Key a was not found');
    expect(() => render('{{ [{"a": 1}, {"a": 1}] | rekey_on_member("a") }}')).toThrow('Key 1 is not unique, cannot correctly turn into dict');
    expect(() => render('{{ [1] | select("asdf ") | list }}')).toThrow(
      `TemplateSyntaxError: Could not load "asdf ": 'invalid plugin name: ansible.builtin.asdf '`,
    );
    expect(() => render('{{ 1 is nosuchtest }}')).toThrow("No test named 'nosuchtest' found.");
  });

  it("has Jinja2's groupby and format, and the regex tests read a dict as Python prints it", () => {
    const fruits = [
      { name: 'apple', enjoy: true },
      { name: 'Orange', kind: 'B' },
      { name: 'pear', enjoy: false, kind: 'b' },
    ];
    expect(render("{{ fruits | groupby('enjoy') }}", { fruits: fruits.slice(0, 1).concat(fruits.slice(2)) })).toEqual([
      [false, [fruits[2]]],
      [true, [fruits[0]]],
    ]);
    // Case-insensitive unless told: the grouper as the group's first item has it; default= for those without.
    expect(render("{{ fruits | groupby('kind', default='A') | map('first') | list }}", { fruits })).toEqual(['A', 'B']);
    expect(render("{{ fruits | groupby('kind', default='A', case_sensitive=true) | map('first') | list }}", { fruits })).toEqual(['A', 'B', 'b']);
    expect(render("{{ '%s=%03d %(x)s' | format('a', 7) if false else '%s=%03d' | format('a', 7) }}")).toBe('a=007');
    expect(render("{{ '%(x)s-%(y).2f' | format(x='k', y=2) }}")).toBe('k-2.00');
    const result = { failed: true, msg: 'unable to slurp file: no' };
    expect(render("{{ result is search('unable to slurp') }}", { result })).toBe(true);
    expect(render("{{ 'Abc' is match('a', ignorecase=True) }} {{ 'x\nAbc' is match('A') }} {{ 'x\nAbc' is search('^A', multiline=True) }}")).toBe(
      'True False True',
    );
    expect(render("{{ t.splitlines()[-1] }} {{ 'xyz'[-2] }} {{ ('a\nb'.splitlines())[-1] }}", { t: 'one\ntwo\n' })).toBe('two y b');
    expect(render("{{ 'abc' is regex('ab', match_type='fullmatch') }} {{ 'abc' is regex('abc', match_type='fullmatch') }}")).toBe('False True');
  });

  it('drops an argument rendered to omit, also when omit comes through the variables', () => {
    const vars = { omit: OMIT, item: { a: 1 } };
    expect(render({ keep: '{{ item.a }}', drop: '{{ item.v | default(omit) }}', list: ['x', '{{ omit }}'] } as unknown as string, vars)).toEqual({
      keep: 1,
      list: ['x'],
    });
  });

  it('names an undefined variable, and refuses self reference', () => {
    expect(() => render('x {{ nope }}')).toThrow(/undefined variable 'nope'/);
    expect(() => render('{{ a }}', { a: '{{ b }}', b: '{{ a }}' })).toThrow(/refers to itself/);
    expect(() => templar.evaluate('missing == 1', new VarScope({}, templar), 'when')).toThrow(/undefined variable 'missing' in condition/);
    expect(templar.evaluate('missing is not defined', new VarScope({}, templar), 'when')).toBe(true);
  });

  it('an undefined variable inside a list or mapping an expression builds is an error too', () => {
    expect(() => render("{{ {'image': img, 'name': pbx_name} }}", { img: 'x' })).toThrow(/undefined variable 'pbx_name'/);
    expect(() => render('{{ [1, nothing] }}')).toThrow(/undefined variable 'nothing'/);
    expect(render("{{ {'image': img} | combine({'n': 1}) }}", { img: 'x' })).toEqual({ image: 'x', n: 1 });
  });

  it("treats an undefined value as Ansible's Undefined: its repr is harmless, its text an error, named as the error of an undefined variable", () => {
    const scope = new VarScope({ things: [{ name: 'one' }, { other: 'two' }] }, templar);
    expect(templar.evaluate('("%r" | format(undefined_variable)).startswith("AnsibleUndefined")', scope, 'that')).toBe(true);
    expect(() => templar.evaluate("'%s' | format(undefined_variable) == 'x'", scope, 'that')).toThrow(/undefined variable 'undefined_variable'/);
    expect(() => templar.renderValue('{{ things | map(attribute="name") }}', scope, 'set_fact')).toThrow(
      `undefined variable in '{{ things | map(attribute="name") }}' (set_fact)`,
    );
  });

  it("takes a test's one argument without parentheses, as Jinja2 does", () => {
    expect(render("{{ msg is contains 'undefined' }} {{ 9 is divisibleby 3 }} {{ 9 is not divisibleby 2 }}", { msg: 'an undefined variable' })).toBe(
      'True True True',
    );
    expect(render("{{ [1, 2] is contains 2 and 'x' is string }}")).toBe(true);
    expect(render("{{ 'yes' if n is divisibleby 2 else 'no' }}", { n: 4 })).toBe('yes');
  });
});

describe('text edits', () => {
  it('lineinfile replaces the last match, inserts after a regexp, removes', () => {
    expect(editLine('a=1\nb=2\na=3\n', { path: '', regexp: '^a=', line: 'a=9' }).text).toBe('a=1\nb=2\na=9\n');
    expect(editLine('x\ny\n', { path: '', line: 'new', insertafter: '^x' }).text).toBe('x\nnew\ny\n');
    expect(editLine('x\ny\n', { path: '', line: 'new', insertbefore: 'BOF' }).text).toBe('new\nx\ny\n');
    expect(editLine('x\ny\nx\n', { path: '', line: 'x', state: 'absent' })).toEqual({ text: 'y\n', msg: '2 line(s) removed' });
    expect(editLine('x\n', { path: '', line: 'x' })).toEqual({ text: 'x\n', msg: '' });
    expect(editLine('port=1\n', { path: '', regexp: '^port=(\\d+)', line: 'port=\\1\\1', backrefs: true }).text).toBe('port=11\n');
  });

  it('blockinfile inserts, replaces and removes its block', () => {
    const once = editBlock('a\n', { path: '', block: 'x\ny' }).text;
    expect(once).toBe('a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\ny\n# END ANSIBLE MANAGED BLOCK\n');
    expect(editBlock(once, { path: '', block: 'x\ny' })).toEqual({ text: once, msg: '' });
    expect(editBlock(once, { path: '', block: 'z' }).text).toBe('a\n# BEGIN ANSIBLE MANAGED BLOCK\nz\n# END ANSIBLE MANAGED BLOCK\n');
    expect(editBlock(once, { path: '', state: 'absent' }).text).toBe('a\n');
  });

  it('blockinfile puts a new block after the last line matching, or after a (?m) match in the whole text', () => {
    const block = { path: '', block: 'B', marker: '#{mark}' };
    expect(editBlock('k\nx\nk\ny', { ...block, insertafter: '^k$' }).text).toBe('k\nx\nk\n#BEGIN\nB\n#END\ny');
    expect(editBlock('k\nx\nk\n', { ...block, insertbefore: 'k' }).text).toBe('k\nx\n#BEGIN\nB\n#END\nk\n');
    expect(editBlock('a =\n  (x\nz\n', { ...block, insertafter: '(?m)a =\\n.*\\(x' }).text).toBe('a =\n  (x\n#BEGIN\nB\n#END\nz\n');
    expect(editBlock('a =\n  (x\nz\n', { ...block, insertafter: 'a =\\n.*\\(x' }).text).toBe('a =\n  (x\nz\n#BEGIN\nB\n#END\n');
    expect(editBlock('last', block).text).toBe('last\n#BEGIN\nB\n#END\n');
  });

  it('lineinfile as Ansible: firstmatch, the last insertbefore match, a last line without newline, Python back-references', () => {
    expect(editLine('k\nk\n', { path: '', line: 'n', insertbefore: '^k$' }).text).toBe('k\nn\nk\n');
    expect(editLine('k\nk\n', { path: '', line: 'n', insertbefore: '^k$', firstmatch: true }).text).toBe('n\nk\nk\n');
    expect(editLine('k\nk\n', { path: '', line: 'n', insertafter: '^k$', firstmatch: true }).text).toBe('k\nn\nk\n');
    expect(editLine('a\nb', { path: '', line: 'c' })).toEqual({ text: 'a\nb\nc\n', msg: 'line added' });
    expect(editLine('a\nb', { path: '', line: 'b' })).toEqual({ text: 'a\nb\n', msg: 'line replaced' });
    expect(editLine('port=1\n', { path: '', regexp: '^port=(?P<n>\\d+)$', line: 'port=\\g<n>0', backrefs: true }).text).toBe('port=10\n');
    expect(editLine('x\n', { path: '', regexp: '^y', line: 'z', backrefs: true })).toEqual({ text: 'x\n', msg: '' });
    expect(editLine('a\nb\n', { path: '', search_string: 'a', line: 'A' }).text).toBe('A\nb\n');
  });

  it('sysctl keeps comments and drops duplicates of the key', () => {
    expect(editSysctl('# c\nnet.a = 1\nnet.b=2\nnet.a=5\n', 'net.a', '3')).toBe('# c\nnet.a = 3\nnet.b=2\n');
    expect(editSysctl('net.a = 1\n', 'net.a', undefined)).toBe('');
  });
});

describe('shell words', () => {
  it('splits like shlex and quotes for POSIX sh', () => {
    expect(shlexSplit(`echo 'a b' "c \\"d\\"" e\\ f $HOME;`)).toEqual(['echo', 'a b', 'c "d"', 'e f', '$HOME;']);
    expect(shlexSplit('path={{ base }}/x mode=0644', true)).toEqual(['path={{ base }}/x', 'mode=0644']);
    const hostile = `a'b"c$(d)\`e\`;f\ng`;
    expect(execFileSync('/bin/sh', ['-c', `printf %s ${quote(hostile)}`], { encoding: 'utf8' })).toBe(hostile);
  });

  it('a glob keeps its wildcards and ~ for the shell and quotes the rest', () => {
    const dir = mkdtempSync(join(tmpdir(), "glob $(x) 'q' "));
    for (const name of ['a1.txt', 'a2.txt', 'b.log', '[c].txt']) writeFileSync(join(dir, name), '');
    mkdirSync(join(dir, 'sub'));
    const expand = (pattern: string) =>
      execFileSync('/bin/sh', ['-c', `for f in ${quoteGlob(pattern)}; do printf '%s\\n' "$f"; done`], { encoding: 'utf8', env: { HOME: '/home/u' } })
        .trim()
        .split('\n');
    expect(expand(`${dir}/a*.txt`)).toEqual([`${dir}/a1.txt`, `${dir}/a2.txt`]);
    expect(expand(`${dir}/[ab]?.*`)).toEqual([`${dir}/a1.txt`, `${dir}/a2.txt`]);
    expect(expand(`${dir}/*.log`)).toEqual([`${dir}/b.log`]);
    expect(expand('~/x')).toEqual(['/home/u/x']);
    expect(expand(`${dir}/$(touch ${dir}/owned)*`)).toEqual([`${dir}/$(touch ${dir}/owned)*`]);
    expect(expand(`${dir}/owned`)).toEqual([`${dir}/owned`]);
    expect(execFileSync('ls', [dir], { encoding: 'utf8' })).not.toContain('owned');
  });
});

describe('inventory', () => {
  const dir = project({
    'inv/hosts.yml': `all:
  vars: { level: all, site: lab }
  children:
    pbx:
      vars: { level: pbx }
      hosts:
        pbx01: { level: host }
        pbx02:
        pbx03:
    media:
      hosts:
        media01:
    standby:
      hosts:
        pbx02:
        pbx03:
`,
    'inv/group_vars/pbx.yml': 'from_dir: pbx\nlevel: pbx-dir\n',
    'inv/host_vars/pbx03.yml': 'level: pbx03-dir\n',
  });
  const inv = loadInventory(join(dir, 'inv/hosts.yml'));

  it('resolves Ansible host patterns', () => {
    expect(resolvePattern(inv, 'pbx')).toEqual(['pbx01', 'pbx02', 'pbx03']);
    expect(resolvePattern(inv, 'pbx:!standby')).toEqual(['pbx01']);
    expect(resolvePattern(inv, 'pbx:&standby')).toEqual(['pbx02', 'pbx03']);
    expect(resolvePattern(inv, 'media01,pbx01')).toEqual(['pbx01', 'media01']);
    expect(resolvePattern(inv, 'pbx0*')).toEqual(['pbx01', 'pbx02', 'pbx03']);
    expect(resolvePattern(inv, 'all:!pbx')).toEqual(['media01']);
  });

  it('merges group vars (all, then groups), group_vars/, host vars and host_vars/', () => {
    expect(inventoryVars(inv, 'media01')).toMatchObject({ level: 'all', site: 'lab' });
    expect(inventoryVars(inv, 'pbx02')).toMatchObject({ level: 'pbx-dir', from_dir: 'pbx' });
    expect(inventoryVars(inv, 'pbx01').level).toBe('host');
    expect(inventoryVars(inv, 'pbx03').level).toBe('pbx03-dir');
  });

  it('selects tags like Ansible', () => {
    const sel = (tags: string[], skip: string[] = []) => ({ tags, skipTags: skip });
    expect(tagsMatch(['a'], sel([]))).toBe(true);
    expect(tagsMatch(['never', 'a'], sel([]))).toBe(false);
    expect(tagsMatch(['never', 'a'], sel(['a']))).toBe(true);
    expect(tagsMatch(['always'], sel(['b']))).toBe(true);
    expect(tagsMatch(['always'], sel([], ['always']))).toBe(false);
    expect(tagsMatch([], sel(['untagged']))).toBe(true);
    expect(tagsMatch(['a'], sel([], ['a']))).toBe(false);
  });
});

describe('known_hosts', () => {
  const key = () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    const type = Buffer.from('ssh-ed25519');
    const len = (n: number) => Buffer.from([0, 0, 0, n]);
    return Buffer.concat([len(type.length), type, len(32), raw]);
  };
  const dir = mkdtempSync(join(tmpdir(), 'kh-'));

  it('accepts a known key (plain or hashed), refuses unknown and changed keys', () => {
    const good = key();
    const file = join(dir, 'known_hosts');
    const name = knownHostsName('10.0.0.5', 2222);
    expect(name).toBe('[10.0.0.5]:2222');
    writeFileSync(file, `${name} ssh-ed25519 ${good.toString('base64')}\n`);
    expect(verifyHostKey([file], name, good, false)).toEqual({ ok: true });
    const changed = verifyHostKey([file], name, key(), true);
    expect(changed.ok).toBe(false);
    expect(!changed.ok && changed.reason).toContain('HOST KEY CHANGED');
    const unknown = verifyHostKey([file], '10.0.0.6', good, false);
    expect(!unknown.ok && unknown.reason).toContain('--accept-new-host-keys');
    // ssh-keygen -H hashes the names; they must still match.
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    expect(verifyHostKey([file], name, good, false)).toEqual({ ok: true });
  });

  it('records a new key only when asked', () => {
    const file = join(dir, 'new_hosts');
    const k = key();
    expect(verifyHostKey([file], 'h1', k, true)).toEqual({ ok: true });
    expect(verifyHostKey([file], 'h1', k, false)).toEqual({ ok: true });
  });
});

describe('ansible-vault 1.1', () => {
  it('decrypts what ansible-vault encrypted, and ansible-vault decrypts ours', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vault-'));
    const pw = join(dir, 'pw');
    writeFileSync(pw, 'correct horse\n');
    const file = join(dir, 'secrets.yml');
    writeFileSync(file, 'hacluster_password: "p@ss w0rd"\n');
    execFileSync('ansible-vault', ['encrypt', '--vault-password-file', pw, file], { stdio: 'ignore', env: { ...process.env, ANSIBLE_LOCAL_TEMP: dir } });
    const encrypted = readFileSync(file, 'utf8');
    expect(encrypted.startsWith('$ANSIBLE_VAULT;1.1;AES256')).toBe(true);
    expect(decryptVault(encrypted, 'correct horse')).toBe('hacluster_password: "p@ss w0rd"\n');
    expect(() => decryptVault(encrypted, 'wrong')).toThrow(/HMAC/);
    writeFileSync(file, encryptVault('x: 1\n', 'correct horse'));
    expect(
      execFileSync('ansible-vault', ['view', '--vault-password-file', pw, file], { encoding: 'utf8', env: { ...process.env, ANSIBLE_LOCAL_TEMP: dir } }),
    ).toBe('x: 1\n');
  });

  it('decrypts inline !vault values in YAML', () => {
    setVaultPassword('pw');
    const blob = encryptVault('s3cret', 'pw')
      .replace(/\n$/, '')
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n');
    expect(parseYaml(`secret: !vault |\n${blob}\nplain: 1\n`, 'v.yml').data).toEqual({ secret: 's3cret', plain: 1 });
    setVaultPassword(undefined);
  });
});

describe("Ansible's core tests, compared with its own test plugin (ansible-core's Python on this machine)", () => {
  /** Each case through ansible.plugins.test.core: the answer, or the error's message. */
  const PY = `
import json, sys
from ansible.plugins.test import core
tests = core.TestModule().tests()
out = []
for name, value, args, kwargs in json.load(sys.stdin):
    try:
        out.append(bool(tests[name](value, *args, **kwargs)))
    except Exception as e:
        out.append(str(e))
print(json.dumps(out))
`;
  const cases: [string, unknown, unknown[], Record<string, unknown>][] = [
    ['version', '1.0', ['1.0', '=='], {}],
    ['version', '1.10', ['1.9', '>'], {}],
    ['version', '1.0', ['1.0a1', '>'], {}],
    ['version', '2.0', ['1.0', 'gt', true], {}],
    ['version', '1.0', ['nope', '==', true], {}],
    ['version', '1.0', ['nope'], {}],
    ['version', '1.0', ['1.0', 'equals'], {}],
    ['version', '1.0', ['1.0'], { strict: false, version_type: 'loose' }],
    ['version', '1.0', ['1.0'], { version_type: 'boom' }],
    ['version', '1.2.3', ['2.0.0', 'lt'], { version_type: 'semver' }],
    ['version', '1.0.0-alpha.1', ['1.0.0-alpha.beta', '<'], { version_type: 'semver' }],
    ['version', '1.0.0-rc.1', ['1.0.0', '<'], { version_type: 'semver' }],
    ['version', 'nope', ['nopenope'], { version_type: 'semver' }],
    ['version', '2.14.0rc1', ['2.14.0', 'lt'], { version_type: 'pep440' }],
    ['version', '2.14.0.dev1', ['2.14.0a1', 'lt'], { version_type: 'pep440' }],
    ['version', '2.14.0.post1', ['2.14', 'gt'], { version_type: 'pep440' }],
    ['version', '', ['1.0', '>'], {}],
    ['version', '1.0', ['', '>'], {}],
    ['truthy', 'string', [], {}],
    ['truthy', 'off', [], { convert_bool: true }],
    ['falsy', '', [], {}],
    ['falsy', {}, [], {}],
    ['falsy', [], [], {}],
    ['failed', 'nope', [], {}],
    ['changed', { results: [{ changed: false }, { changed: true }] }, [], {}],
    ['finished', { finished: 0 }, [], {}],
  ];
  const ours = (name: string, value: unknown, args: unknown[], kwargs: Record<string, unknown>) => {
    const call = [
      ...args.map((a) =>
        JSON.stringify(a)
          .replace(/^true$/, 'True')
          .replace(/^false$/, 'False'),
      ),
      ...Object.entries(kwargs).map(([k, v]) => `${k}=${v === false ? 'False' : JSON.stringify(v)}`),
    ];
    try {
      return render(`{{ v is ${name}${call.length ? `(${call.join(', ')})` : ''} }}`, { v: value });
    } catch (err) {
      return (err as Error).message.replace(/^[\s\S]*AnsibleFilterError: /, '');
    }
  };

  it('give the same answers and refuse in the same words', () => {
    const python = JSON.parse(execFileSync('/usr/bin/python3', ['-c', PY], { input: JSON.stringify(cases), encoding: 'utf8' }));
    expect(cases.map(([name, value, args, kwargs]) => ours(name, value, args, kwargs))).toEqual(python);
  });
});

describe('SELinux file arguments', () => {
  const answering = (stdout: string) => {
    const asked: string[] = [];
    const exec = async (script: string) => {
      asked.push(script);
      return { rc: 0, stdout, stderr: '' };
    };
    return { exec, asked };
  };

  it('are taken out where SELinux is off, as Ansible ignores them; refused where it is on; no look without them', async () => {
    const off = answering('off\n');
    expect(await withoutSelinux(off.exec, { path: '/var/lib/pcsd', setype: 'cert_t', mode: '0700' }, 'n1')).toEqual({
      args: { path: '/var/lib/pcsd', mode: '0700' },
    });
    const on = answering('on\n');
    expect(await withoutSelinux(on.exec, { path: '/x', setype: 'cert_t', seuser: 'system_u' }, 'n1')).toEqual({
      refused: 'SELinux is enabled on n1: the engine sets no SELinux contexts (seuser, setype)',
    });
    const none = answering('');
    expect(await withoutSelinux(none.exec, { path: '/x' }, 'n1')).toEqual({ args: { path: '/x' } });
    expect(none.asked).toEqual([]);
  });
});

describe('file modes', () => {
  /** Ansible's own AnsibleModule._symbolic_mode_to_octal (ansible-core's Python here), per umask. */
  const ansibleModes = (umask: number, cases: [string, number, boolean][]): string[] => {
    const py = `import sys, json, os, stat
from ansible.module_utils.basic import AnsibleModule
class S: pass
os.umask(int(sys.argv[1], 8))
out = []
for spec, mode, isdir in json.loads(sys.argv[2]):
    st = S(); st.st_mode = (stat.S_IFDIR if isdir else stat.S_IFREG) | mode
    try: out.append(format(AnsibleModule._symbolic_mode_to_octal(st, spec), '04o'))
    except Exception as e: out.append('error')
print(json.dumps(out))`;
    return JSON.parse(execFileSync('/usr/bin/python3', ['-c', py, umask.toString(8), JSON.stringify(cases)], { encoding: 'utf8' }));
  };

  it("applies symbolic modes as Ansible's own code does, bit for bit, for files and directories and two umasks", () => {
    const specs = ['u=rw,g=r,o=', '+x', 'o=rwXt', 'a+X', 'g=u', 'u-w+x,go=', 'ug+s', '=r', 'u=rwx,g=rx,o=rx', 'go-rwx', 'o+t,g-s', 'u+X', '-w', 'a=', 'uo=g'];
    const cases: [string, number, boolean][] = specs.flatMap((spec) =>
      [0o644, 0o755, 0o600, 0o2750].flatMap((mode) => [[spec, mode, false] as [string, number, boolean], [spec, mode, true] as [string, number, boolean]]),
    );
    for (const umask of [0o022, 0o077]) {
      const ours = cases.map(([spec, mode, dir]) =>
        symbolicMode(spec, { mode: mode.toString(8), type: dir ? 'directory' : 'file', umask })
          .toString(8)
          .padStart(4, '0'),
      );
      expect(ours).toEqual(ansibleModes(umask, cases));
    }
  });

  it("takes octal modes as Python int(mode, 8) does, and refuses a bad symbolic mode in Ansible's words", () => {
    expect(normalizeMode('644', {})).toBe('0644');
    expect(normalizeMode('0o750', {})).toBe('0750');
    expect(normalizeMode(0o1777, {})).toBe('1777');
    expect(normalizeMode('u+x', { mode: '644', type: 'file', umask: 0o022 })).toBe('0744');
    // A path being made starts from 0666 or 0777, less the umask.
    expect(normalizeMode('g+w', { type: 'directory', umask: 0o022 })).toBe('0775');
    expect(() => normalizeMode('u+q', { mode: '644' })).toThrow('mode must be in octal or symbolic form');
    expect(() => normalizeMode('17777', {})).toThrow('Invalid mode supplied, only permission info is allowed');
  });
});
