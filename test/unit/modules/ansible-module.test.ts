// An Ansible module's answer read as Ansible reads it, on canned output: its JSON among other
// lines, a crash as MODULE FAILURE, its diff in every shape modules return, its facts. No host.
import { describe, expect, it } from 'vitest';
import { moduleAnswer, outcomeOf } from '../../../engine/core/modules/ansible_module';
import { ansibleDiff, diffsOf } from '../../../engine/core/modules/util/diff';

const res = (stdout: string, stderr = '', rc = 0) => ({ stdout, stderr, rc });

describe('Ansible module answers', () => {
  it('finds the JSON among other output (a MOTD before it, a warning after it)', () => {
    expect(moduleAnswer(res('Welcome!\n{"changed": true,\n "x": 1}\nbye\n'))).toEqual({ changed: true, x: 1 });
  });

  it('a module that crashed is a MODULE FAILURE with its output, as Ansible reports it', () => {
    const answer = moduleAnswer(res('', 'Traceback (most recent call last):\n  boom', 1));
    expect(answer).toMatchObject({ failed: true, rc: 1, module_stderr: 'Traceback (most recent call last):\n  boom' });
    expect(answer.msg).toMatch(/^MODULE FAILURE/);
  });

  it("reads diffs as text, mappings (serialised as Ansible's callback does: sorted keys, indent 4), lists and prepared text", () => {
    expect(diffsOf({ before: 'a\n', after: 'b\n', before_header: '/f', after_header: '/f' })).toEqual([
      { before: 'a\n', after: 'b\n', beforeHeader: '/f', afterHeader: '/f' },
    ]);
    expect(diffsOf([{ before: { state: 'absent' }, after: { state: 'present' } }])).toEqual([
      { before: '{\n    "state": "absent"\n}\n', after: '{\n    "state": "present"\n}\n', beforeHeader: undefined, afterHeader: undefined },
    ]);
    expect(diffsOf({ prepared: '+ line' })).toEqual([{ before: '', after: '+ line', afterHeader: 'prepared' }]);
    expect(diffsOf({})).toEqual([]);
    expect(diffsOf(undefined)).toEqual([]);
  });

  it("gives a registered result's diff in Ansible's shape: one mapping with snake_case headers, or a list", () => {
    const one = { before: 'a\n', after: 'b\n', beforeHeader: '/f', afterHeader: '/f' };
    expect(ansibleDiff([one])).toEqual({ before: 'a\n', after: 'b\n', before_header: '/f', after_header: '/f' });
    expect(ansibleDiff([one, { before: '', after: 'x' }])).toEqual([
      { before: 'a\n', after: 'b\n', before_header: '/f', after_header: '/f' },
      { before: '', after: 'x' },
    ]);
    expect(diffsOf(ansibleDiff([one]))).toEqual([one]);
  });

  it('turns the answer into an outcome: changed, failed, message, facts; no invocation echo', () => {
    const out = outcomeOf(
      { changed: true, msg: 'done', ansible_facts: { getent_passwd: { root: [] } }, invocation: { module_args: { token: 'x' } }, path: '/t' },
      'ansible.builtin.getent',
    );
    expect(out).toMatchObject({ changed: true, msg: 'done', facts: { ansible_facts: { getent_passwd: { root: [] } } }, result: { path: '/t' } });
    expect(out.failed).toBeUndefined();
    expect(out.result).not.toHaveProperty('invocation');
    expect(outcomeOf({ failed: true, msg: 'no such file' }, 'ansible.builtin.slurp')).toMatchObject({ failed: true, changed: false, msg: 'no such file' });
    expect(outcomeOf({ skipped: true }, 'ansible.builtin.x').msg).toBe('skipped by ansible.builtin.x');
  });
});
