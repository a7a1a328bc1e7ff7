// Ansible's lookups on the controller, through lookup()/query() as templates call them: their
// lists, lookup()'s comma join and wantlist, search paths for files and templates. No host.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { numericAttributes, tupleLiterals } from '../../engine/core/load/template/jinja';
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
    expect(render("{{ lookup('first_found', ['absent'], skip=True) }}", dirs)).toBe('');
    expect(render("{{ lookup('pipe', 'printf \"a \\\\n\"') }}")).toBe('a');
    expect(render("{{ query('lines', 'printf \"1\\\\n2\\\\n\"') }}")).toEqual(['1', '2']);
    expect(() => render("{{ lookup('pipe', 'exit 3') }}")).toThrow(/the command 'exit 3' failed/);
    expect(() => render("{{ lookup('nosuch', 'x') }}")).toThrow(/not one of the engine's lookups/);
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
