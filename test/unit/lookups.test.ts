// Ansible's lookups on the controller, through lookup()/query() as templates call them: their
// lists, lookup()'s comma join and wantlist, search paths for files and templates. No host.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { numericAttributes, starArguments, tupleLiterals } from '../../engine/core/load/template/jinja';
import { loopItems } from '../../engine/core/load/template/lookups';
import { VarScope } from '../../engine/core/load/template/scope';
import { Templar } from '../../engine/core/load/template/templar';

const templar = new Templar();
const render = (text: string, vars: Record<string, unknown> = {}) => templar.renderValue(text, new VarScope(vars, templar), 'test');

describe('lookups', () => {
  const role = mkdtempSync(join(tmpdir(), 'engine-lookup-role-'));
  const playbook = mkdtempSync(join(tmpdir(), 'engine-lookup-play-'));
  mkdirSync(join(role, 'files'));
  mkdirSync(join(role, 'templates'));
  writeFileSync(join(role, 'files/motd'), 'welcome  \n\n');
  writeFileSync(join(playbook, 'only-here.txt'), 'from the playbook\n');
  writeFileSync(join(role, 'templates/greet.j2'), 'hello {{ who }}\n');
  const dirs = { role_path: role, playbook_dir: playbook, who: 'ops' };

  it('file and template look in the role, then the playbook; file strips trailing whitespace', () => {
    expect(render("{{ lookup('file', 'motd') }}", dirs)).toBe('welcome');
    expect(render("{{ lookup('file', 'only-here.txt') }}", dirs)).toBe('from the playbook');
    expect(render("{{ lookup('template', 'greet.j2') }}", dirs)).toBe('hello ops\n');
    expect(() => render("{{ lookup('file', 'absent.txt') }}", dirs)).toThrow(/could not find 'absent.txt'/);
  });

  it('a term written with {{ }} in the template is templated once more, as Ansible does; a value from a variable is not', () => {
    expect(render(`{{ lookup('pipe', 'echo {{ who }}') }}`, dirs)).toBe('ops');
    // cmd holds output of a host (registered): final text, never templated.
    const registered = new VarScope({ ...dirs, cmd: "echo '{{ who }}'" }, templar, new Set(['cmd']));
    expect(templar.renderValue('{{ lookup("pipe", cmd) }}', registered, 'test')).toBe('{{ who }}');
  });

  it('file strips leading whitespace with lstrip=True and keeps the trailing with rstrip=False', () => {
    writeFileSync(join(role, 'files/padded'), '  both sides  \n');
    expect(render("{{ lookup('file', 'padded', lstrip=True) }}", dirs)).toBe('both sides');
    expect(render("{{ lookup('file', 'padded', rstrip=False) }}", dirs)).toBe('  both sides  \n');
  });

  it("with_dict of a list and with_list of a mapping refuse in Ansible's words", () => {
    const ctx = templar.lookupContext(new VarScope({}, templar));
    expect(() => loopItems('dict', [1, 2], ctx)).toThrow(/^with_dict expects a dict$/);
    expect(() => loopItems('list', { key: 'value' }, ctx)).toThrow(/^with_list expects a list$/);
    expect(loopItems('list', 'one', ctx)).toEqual(['one']);
  });

  it("lookup() joins strings with commas unless wantlist; query() is always the list; errors='ignore'", () => {
    expect(render("{{ lookup('sequence', 'start=1 end=3') }}")).toBe('1,2,3');
    expect(render("{{ lookup('sequence', 'count=3', wantlist=True) }}")).toEqual(['1', '2', '3']);
    expect(render("{{ query('env', 'HOME') }}")).toEqual([process.env.HOME]);
    // Terms are the arguments; items flattens them one level, as Ansible's.
    expect(render("{{ q('items', 1, [2, [3]]) }}")).toEqual([1, 2, [3]]);
    expect(render("{{ q('items', [1, [2, 3]]) }}")).toEqual([1, [2, 3]]);
    expect(render("{{ lookup('vars', 'nope', errors='ignore') is none }}")).toBe(true);
  });

  it('sequence reads key=value, shortcuts, formats and strides as Ansible does', () => {
    expect(render("{{ query('sequence', 'start=0 end=8 stride=4 format=node%02d') }}")).toEqual(['node00', 'node04', 'node08']);
    expect(render("{{ query('sequence', '4-6') }}")).toEqual(['4', '5', '6']);
    expect(render("{{ query('sequence', '0x0a-0x0c/1:%x') }}")).toEqual(['a', 'b', 'c']);
    expect(render("{{ query('sequence', 'start=5 end=1 stride=-2') }}")).toEqual(['5', '3', '1']);
    expect(render("{{ query('sequence', 'count=0') }}")).toEqual([]);
    expect(() => render("{{ query('sequence', 'start=5 end=1') }}")).toThrow(/backwards/);
  });

  it("sequence refuses in Ansible's words; a with_ loop gets them bare, a template wrapped as Ansible's templar does", () => {
    const refusal = (term: string) => {
      try {
        loopItems('sequence', term, templar.lookupContext(new VarScope({}, templar)));
      } catch (err) {
        return (err as Error).message;
      }
      return 'no error';
    };
    expect(refusal('start=0 junk=3')).toBe("unrecognized arguments to with_sequence: ['junk']");
    expect(refusal('start=A end=3')).toBe("can't parse start=A as integer");
    expect(refusal('1-B/2')).toBe("can't parse end=B as integer");
    expect(refusal('start=1')).toBe('must specify count or end in with_sequence');
    expect(refusal('start=1 end=4 count=2')).toBe("can't specify both count and end in with_sequence");
    expect(refusal('start=1 end=4 stride=-2')).toBe("to count forward don't make stride negative");
    expect(refusal('start=1 end=4 format=d')).toBe('bad formatting string: d');
    expect(refusal('start=010 end=4')).toBe("can't parse start=010 as integer");
    expect(() => render("{{ query('sequence', 'start=1') }}")).toThrow(
      "An unhandled exception occurred while running the lookup plugin 'sequence'. Error was a <class 'ansible.errors.AnsibleError'>, original message: must specify count or end in with_sequence",
    );
    expect(() => loopItems('indexed_items', { a: 1 }, templar.lookupContext(undefined))).toThrow('with_indexed_items expects a list');
  });

  it('string literals keep the backslash of an escape Python does not know, and read the ones it knows', () => {
    expect(render("{{ '^q.*_\\d' }}")).toBe('^q.*_\\d');
    expect(render("{{ '\\x41\\u00e9\\101' }}")).toBe('A\u00e9A');
    expect(render("{{ 'a\\\\b' }}")).toBe('a\\b');
    expect(render("{{ query('varnames', '^r.*_\\w+h$') }}", dirs)).toEqual(['role_path']);
  });

  it('template takes other delimiters and converts what reads as a literal unless convert_data=False', () => {
    writeFileSync(join(role, 'templates/brackets.j2'), '[# note #]Hello [% who %] {{ kept }}\n');
    writeFileSync(join(role, 'templates/dict.j2'), '{"who": "{{ who }}"}\n');
    const options = "variable_start_string='[%', variable_end_string='%]', comment_start_string='[#', comment_end_string='#]'";
    expect(render(`{{ lookup('template', 'brackets.j2', ${options}) }}`, dirs)).toBe('Hello ops {{ kept }}\n');
    expect(render("{{ lookup('template', 'dict.j2') }}", dirs)).toEqual({ who: 'ops' });
    expect(render("{{ lookup('template', 'dict.j2', convert_data=False) is string }}", dirs)).toBe(true);
  });

  it('password with encrypt= keeps a salt in the file and gives the crypt hash; seed= gives the same password', () => {
    const file = join(playbook, 'secret');
    const hashed = render(`{{ lookup('password', '${file} encrypt=sha256_crypt length=12') }}`, dirs) as string;
    const [plain, salt] = readFileSync(file, 'utf8').trim().split(' salt=');
    expect(plain).toMatch(/^[A-Za-z0-9.,:_-]{12}$/);
    expect(salt).toMatch(/^[A-Za-z0-9./]{16}$/);
    expect(hashed).toBe(execFileSync('openssl', ['passwd', '-5', '-salt', salt, '-stdin'], { input: `${plain}\n`, encoding: 'utf8' }).trim());
    expect(render(`{{ lookup('password', '${file}') }}`, dirs)).toBe(plain);
    const seeded = () => render("{{ lookup('password', '/dev/null seed=foo') }}");
    expect(seeded()).toBe(seeded());
    expect(render("{{ lookup('password', '/dev/null') }}")).not.toBe(render("{{ lookup('password', '/dev/null') }}"));
  });

  it("any other lookup runs as Ansible's own plugin, with the task's variables", () => {
    expect(
      render("{{ q('config', 'remote_user', 'port', plugin_type='connection', plugin_name='ssh') }}", { ansible_ssh_user: 'lola', ansible_ssh_port: 2022 }),
    ).toEqual(['lola', 2022]);
    expect(() => render("{{ lookup('config', 'NO_SUCH_SETTING') }}")).toThrow(/Unable to find setting NO_SUCH_SETTING/);
    expect(() => render("{{ lookup('nosuch_anywhere', 'x') }}")).toThrow(/nor one of Ansible's/);
  });

  it('dict, nested, together, subelements, indexed_items, vars, varnames, first_found, pipe, lines', () => {
    const users = [{ name: 'a', keys: ['k1', 'k2'] }, { name: 'b', keys: [] }, { name: 'c' }];
    expect(render("{{ query('dict', {'x': 1}) }}")).toEqual([{ key: 'x', value: 1 }]);
    expect(render("{{ query('nested', [1, 2], ['a']) }}")).toEqual([
      [1, 'a'],
      [2, 'a'],
    ]);
    expect(render("{{ query('together', [1, 2], ['a']) }}")).toEqual([
      [1, 'a'],
      [2, null],
    ]);
    // Each element without its subelement key, as Ansible gives it.
    expect(render("{{ query('subelements', users, 'keys', {'skip_missing': True}) }}", { users })).toEqual([
      [{ name: 'a' }, 'k1'],
      [{ name: 'a' }, 'k2'],
    ]);
    expect(users[0].keys).toEqual(['k1', 'k2']);
    expect(() => render("{{ query('subelements', users, 'keys') }}", { users })).toThrow(/could not find 'keys'/);
    expect(render("{{ query('indexed_items', ['x', 'y']) }}")).toEqual([
      [0, 'x'],
      [1, 'y'],
    ]);
    expect(render("{{ lookup('vars', 'who') }}", dirs)).toBe('ops');
    expect(render("{{ query('varnames', '^role_') }}", dirs)).toEqual(['role_path']);
    expect(render("{{ lookup('first_found', ['absent', 'motd']) }}", dirs)).toBe(join(role, 'files/motd'));
    // An empty result is the empty list, never joined (Ansible's templar).
    expect(render("{{ lookup('first_found', ['absent'], skip=True) }}", dirs)).toEqual([]);
    expect(render("{{ lookup('pipe', 'printf \"a \\\\n\"') }}")).toBe('a');
    expect(render("{{ query('lines', 'printf \"1\\\\n2\\\\n\"') }}")).toEqual(['1', '2']);
    expect(() => render("{{ lookup('pipe', 'exit 3') }}")).toThrow(/the command 'exit 3' failed/);
    expect(() => render("{{ lookup('nosuch', 'x') }}")).toThrow(/not one of the engine's lookups/);
    expect(() => render("{{ query('subelements', 9001, 'keys') }}")).toThrow("subelements lookup expects a dictionary, got '9001'");
    expect(() => render("{{ query('subelements', users, 'keys', 'wolves') }}", { users })).toThrow(/the optional third item must be a dict/);
  });

  it('item.0 is item[0], outside string literals only', () => {
    expect(numericAttributes("{{ item.0.name }}:{{ item.1 }} {{ 'v1.2' }} {{ 1.5 }} {{ x[0].1 }}")).toBe(
      "{{ item[0].name }}:{{ item[1] }} {{ 'v1.2' }} {{ 1.5 }} {{ x[0][1] }}",
    );
    expect(render('{{ pair.0 }}-{{ pair.1 }}', { pair: ['a', 'b'] })).toBe('a-b');
    expect(numericAttributes('{{ r.results.0.item.1 }} {{ a.0.1 }}')).toBe('{{ r.results[0].item[1] }} {{ a[0][1] }}');
  });
});

describe("to_json and to_nice_json write what Python's json.dumps writes", () => {
  it('separators, key order, indentation and non-ASCII escapes as Ansible', () => {
    const value = { b: [1, 'é', { c: null }], a: true, e: {}, f: [] };
    expect(render('{{ v | to_json }}', { v: value })).toBe('{"b": [1, "\\u00e9", {"c": null}], "a": true, "e": {}, "f": []}');
    expect(render('{{ v | to_nice_json }}', { v: value })).toBe(
      '{\n    "a": true,\n    "b": [\n        1,\n        "\\u00e9",\n        {\n            "c": null\n        }\n    ],\n    "e": {},\n    "f": []\n}',
    );
    expect(render('{{ v | to_json(sort_keys=True) }}', { v: { z: 1, y: '😀' } })).toBe('{"y": "\\ud83d\\ude00", "z": 1}');
  });
});

describe('tuple literals', () => {
  it("are Jinja2's tuples where they are no call's parentheses; strings and calls stay as they are", () => {
    expect(
      tupleLiterals(
        "{{ (1, 2) | list }} {{ () | length }} {{ ('a',) }} {% if (1, 2) | length %}{% endif %} {{ f(1, 2) }} {{ x['k'](3, 4) }} {{ '(1, 2)' }} {{ (1 + 2) * 3 }}",
      ),
    ).toBe(
      "{{ __tuple(1, 2) | list }} {{ __tuple() | length }} {{ __tuple('a') }} {% if __tuple(1, 2) | length %}{% endif %} {{ f(1, 2) }} {{ x['k'](3, 4) }} {{ '(1, 2)' }} {{ (1 + 2) * 3 }}",
    );
    expect(render("{{ [(1, 2) | list, () | length, ('a',) | list, (1 + 2) * 3, (4, 5)[1]] }}")).toEqual([[1, 2], 0, ['a'], 9, 5]);
  });
});

describe('argument unpacking in calls', () => {
  it('wraps *items and **keywords that open an argument; multiplication and powers stay', () => {
    // Escapes in strings stay as they are (a template with a * elsewhere once lost them).
    expect(starArguments(`{{ "a\\n\\"b" ~ x * 2 }}`)).toBe(`{{ "a\\n\\"b" ~ x * 2 }}`);
    expect(starArguments("{{ f(*a, b, **c) }} {{ g(1, * rest) }} {{ 2 * 3 }} {{ 2 ** 3 }} {{ '(*x' }}")).toBe(
      "{{ f(__star(a), b, __starstar(c)) }} {{ g(1, __star( rest)) }} {{ 2 * 3 }} {{ 2 ** 3 }} {{ '(*x' }}",
    );
  });

  it('spreads them into the call as Jinja2 does, keywords merged with those written out', () => {
    const vars = { phrases: ['a', 'b'], opts: { wantlist: true } };
    expect(render("{{ lookup('list', wantlist=True, *phrases) }}", vars)).toEqual(['a', 'b']);
    expect(render("{{ lookup('list', *phrases, **opts) }}", vars)).toEqual(['a', 'b']);
    expect(render("{{ lookup('list', *phrases) }}", vars)).toBe('a,b');
    expect(render("{{ '{}-{}'.format(*phrases) }} {{ 2 * 3 }} {{ 2 ** 3 }}", vars)).toBe('a-b 6 8');
    expect(() => render("{{ lookup('list', *count) }}", { count: 3 })).toThrow(/argument after \* must be an iterable/);
  });
});
