// File modules on fixture states: what each probe reads from canned output, and what each plan
// decides (change, diff, the steps as data). No host.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../../engine/core/modules/assemble';
import { blockinfile } from '../../../engine/core/modules/blockinfile';
import { copy } from '../../../engine/core/modules/copy';
import { fetch, fetchDestination } from '../../../engine/core/modules/fetch';
import { file } from '../../../engine/core/modules/file';
import { find } from '../../../engine/core/modules/find';
import { known_hosts } from '../../../engine/core/modules/known_hosts';
import { lineinfile } from '../../../engine/core/modules/lineinfile';
import { replace, replaceIn } from '../../../engine/core/modules/replace';
import { slurp } from '../../../engine/core/modules/slurp';
import { stat } from '../../../engine/core/modules/stat';
import { sysctl } from '../../../engine/core/modules/sysctl';
import { template } from '../../../engine/core/modules/template';
import { unarchive } from '../../../engine/core/modules/unarchive';
import type { Module, Outcome, Query, RunStep } from '../../../engine/core/modules/types';
import { pythonStrptime } from '../../../engine/core/pytime';
import { VarScope } from '../../../engine/core/load/template/scope';
import { Templar } from '../../../engine/core/load/template/templar';
import { answer, foundHere, planContext, statOutput } from '../../helpers/modules';

const PY_STRPTIME = `
import sys, time
try:
    t = time.strptime(sys.argv[1], sys.argv[2])
    print(t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)
except ValueError as e:
    print(e)
`;

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const ABSENT = 'absent\n';

/** Probe (answered with canned output) then plan, as the runner does. */
function decide<A>(module: Module<A>, args: A, stdout: string | string[], ctx = planContext()): Outcome {
  const outputs = (Array.isArray(stdout) ? stdout : [stdout]).map((out) => ({ stdout: out }));
  const { found } = answer(module.probe!(args, ctx), ...outputs);
  return module.plan(args, found, ctx);
}

describe('copy', () => {
  it('creates a missing file with one atomic write carrying the wanted attributes', () => {
    const out = decide(copy, { dest: '/etc/a.conf', content: 'x=1\n', mode: '0640', owner: 'app' }, ABSENT);
    expect(out).toMatchObject({ changed: true, msg: 'file would be created' });
    expect(out.diff?.[0]).toMatchObject({ before: '', after: 'x=1\n', beforeHeader: '/dev/null', afterHeader: '/etc/a.conf' });
    expect(out.steps).toEqual([
      {
        kind: 'write',
        path: '/etc/a.conf',
        content: Buffer.from('x=1\n'),
        mode: '0640',
        owner: 'app',
        group: undefined,
        backup: undefined,
        validate: undefined,
        reportStat: true,
      },
    ]);
  });

  it('changes nothing when content and attributes match', () => {
    const out = decide(copy, { dest: '/etc/a.conf', content: 'x=1\n', mode: '0644' }, statOutput('file', { content: 'x=1\n' }));
    expect(out).toMatchObject({ changed: false, msg: 'content and attributes already as wanted' });
    expect(out.steps).toBeUndefined();
  });

  it("writes into a directory dest as Ansible's copy, and returns its sha1 and md5 as checksum and md5sum", () => {
    const dir = mkdtempSync(join(tmpdir(), 'engine-copy-'));
    writeFileSync(join(dir, 'app.conf'), 'x=1\n');
    const ctx = { ...planContext(), findLocal: (_kind: string, name: string) => join(dir, name) };
    const out = decide(copy, { dest: '/etc/app', src: 'app.conf' }, [statOutput('directory'), ABSENT], ctx);
    expect(out.steps?.[0]).toMatchObject({ kind: 'write', path: '/etc/app/app.conf' });
    expect(out.result).toMatchObject({
      dest: '/etc/app/app.conf',
      checksum: createHash('sha1').update('x=1\n').digest('hex'),
      md5sum: createHash('md5').update('x=1\n').digest('hex'),
      size: 4,
    });
    // Inline content has no name to put into a directory: that is refused, not guessed.
    expect(decide(copy, { dest: '/etc/app', content: 'x' }, statOutput('directory'))).toMatchObject({
      failed: true,
      msg: '/etc/app exists and is a directory',
    });
  });

  it('remote_src: copies on the host when the checksums differ, through a temporary name; nothing when equal', () => {
    const source = statOutput('file', { content: 'abc' });
    const differs = decide(copy, { dest: '/b', src: '/a', remote_src: true, mode: '0600' }, [source, statOutput('file', { content: 'old' })]);
    expect(differs.changed).toBe(true);
    expect((differs.steps?.[0] as RunStep | undefined)?.script).toBe('cp -- /a /b.engine-copy && chmod 0600 /b.engine-copy && mv -f -- /b.engine-copy /b');
    expect(decide(copy, { dest: '/b', src: '/a', remote_src: true }, [source, statOutput('file', { content: 'abc' })]).changed).toBe(false);
    expect(decide(copy, { dest: '/b', src: '/none', remote_src: true }, [ABSENT, ABSENT])).toMatchObject({ failed: true, msg: 'Source /none not found' });
  });

  it('fixes attributes alone with chmod/chown, not a write', () => {
    const out = decide(copy, { dest: '/etc/a.conf', content: 'x=1\n', mode: '600', owner: 'app' }, statOutput('file', { content: 'x=1\n' }));
    expect(out.msg).toBe('attributes differ (mode: 0600, owner: app)');
    expect(out.steps).toEqual([{ kind: 'run', script: 'chmod 0600 /etc/a.conf && chown app /etc/a.conf', what: undefined }]);
    expect(out.diff?.[0]).toMatchObject({ before: 'mode: 0644\nowner: root\n', after: 'mode: 0600\nowner: app\n' });
  });

  it('rewrites differing content with backup and validate carried to the write', () => {
    const out = decide(copy, { dest: '/etc/a.conf', content: 'x=2\n', backup: true, validate: 'check %s' }, statOutput('file', { content: 'x=1\n' }));
    expect(out).toMatchObject({ changed: true, msg: 'content differs' });
    expect(out.diff?.[0]).toMatchObject({ before: 'x=1\n', after: 'x=2\n' });
    expect(out.steps?.[0]).toMatchObject({ kind: 'write', backup: true, validate: 'check %s' });
  });

  it('force: false keeps an existing file whatever its content', () => {
    expect(decide(copy, { dest: '/a', content: 'new', force: false }, statOutput('file', { content: 'old' })).changed).toBe(false);
  });

  it('refuses a directory at dest, and needs exactly one of src and content', () => {
    expect(decide(copy, { dest: '/a', content: 'x' }, statOutput('directory'))).toMatchObject({ failed: true, msg: '/a exists and is a directory' });
    expect(decide(copy, { dest: '/a' }, ABSENT)).toMatchObject({ failed: true, msg: 'copy needs exactly one of src or content' });
  });

  it('shows a binary file as its size and checksum, not its bytes', () => {
    const out = decide(copy, { dest: '/a.bin', content: 'a\u0000b' }, ABSENT);
    expect(out.diff?.[0].after).toBe(`(binary or large file, 3 bytes, sha256 ${sha('a\u0000b')})\n`);
  });

  it('reads src from files/ and copies into a directory dest ending in /', () => {
    const dir = mkdtempSync(join(tmpdir(), 'copy-'));
    writeFileSync(join(dir, 'motd'), 'hello\n');
    const ctx = planContext({ findLocal: (_kind, name) => join(dir, name) });
    const { scripts } = answer(copy.probe!({ dest: '/etc/', src: 'motd' }, ctx), { stdout: ABSENT });
    expect(scripts[0]).toContain('/etc/motd');
    const out = decide(copy, { dest: '/etc/', src: 'motd' }, ABSENT, ctx);
    expect(out.steps?.[0]).toMatchObject({ kind: 'write', path: '/etc/motd', content: Buffer.from('hello\n') });
  });
});

describe('template', () => {
  it('renders the template with the task variables and writes it like copy', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tpl-'));
    writeFileSync(join(dir, 'a.j2'), 'port={{ port }}\n');
    const ctx = planContext({ findLocal: (_kind, name) => join(dir, name), renderText: (text) => text.replace('{{ port }}', '5060') });
    const out = decide(template, { src: 'a.j2', dest: '/etc/a' }, statOutput('file', { content: 'port=5080\n' }), ctx);
    expect(out).toMatchObject({ changed: true, msg: 'content differs' });
    expect(out.steps?.[0]).toMatchObject({ kind: 'write', path: '/etc/a', content: Buffer.from('port=5060\n') });
    expect(decide(template, { src: 'a.j2', dest: '/etc/a' }, statOutput('file', { content: 'port=5060\n' }), ctx).changed).toBe(false);
  });

  /** The real templar renders, as in a run. */
  const real = (dir: string) => {
    const templar = new Templar();
    return planContext({
      findLocal: (_kind, name) => join(dir, name),
      renderText: (text, file, extra, options) => templar.renderFile(text, new VarScope({ who: 'ops', ...extra }, templar), file ?? 'x.j2', options),
    });
  };
  const written = (out: Outcome) => (out.steps as { content: Buffer }[])[0].content;

  it("takes Jinja2's options as arguments or from a '#jinja2:' first line; trim_blocks covers comments, as Jinja2's", () => {
    const dir = mkdtempSync(join(tmpdir(), 'tpl-'));
    writeFileSync(join(dir, 'c.j2'), 'Before\n[# note #]\nAfter {{ who }}\n');
    writeFileSync(
      join(dir, 'h.j2'),
      '#jinja2: trim_blocks: False, variable_start_string: "<<", variable_end_string: ">>"\n{% if true %}\n<< who >>\n{% endif %}\n',
    );
    writeFileSync(join(dir, 'bad.j2'), '#jinja2: lstrip_blocks=True\nx\n');
    const args = { dest: '/etc/x', comment_start_string: '[#', comment_end_string: '#]' };
    expect(written(decide(template, { ...args, src: 'c.j2' }, ABSENT, real(dir))).toString()).toBe('Before\nAfter ops\n');
    expect(written(decide(template, { src: 'h.j2', dest: '/etc/x' }, ABSENT, real(dir))).toString()).toBe('\nops\n');
    expect(() => decide(template, { src: 'bad.j2', dest: '/etc/x' }, ABSENT, real(dir))).toThrow(/failed to parse jinja2 override 'lstrip_blocks=True'/);
    writeFileSync(join(dir, 'l.j2'), '#jinja2: line_statement_prefix: ":", line_comment_prefix: "##"\n: if true\nfoo ## a note\n: endif\nbar\n');
    expect(written(decide(template, { src: 'l.j2', dest: '/etc/x' }, ABSENT, real(dir))).toString()).toBe('foo\nbar\n');
  });

  it('newline_sequence (escaped too, as Ansible takes it) and output_encoding', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tpl-'));
    writeFileSync(join(dir, 'n.j2'), '{% for i in [1, 2] %}{{ i }}\n{% endfor %}\n');
    writeFileSync(join(dir, 'e.j2'), 'caf\u00e9 \u20ac\n');
    expect(written(decide(template, { src: 'n.j2', dest: '/x', newline_sequence: '\\r\\n' }, ABSENT, real(dir))).toString()).toBe('1\r\n2\r\n');
    expect([...written(decide(template, { src: 'e.j2', dest: '/x', output_encoding: 'windows-1252' }, ABSENT, real(dir)))]).toEqual([
      0x63, 0x61, 0x66, 0xe9, 0x20, 0x80, 0x0a,
    ]);
    expect(written(decide(template, { src: 'e.j2', dest: '/x', output_encoding: 'utf-16' }, ABSENT, real(dir))).subarray(0, 2)).toEqual(
      Buffer.from([0xff, 0xfe]),
    );
  });
});

describe('file', () => {
  const decideAll = <A>(module: Module<A>, args: A, answers: { stdout: string }[]) =>
    decide(
      module,
      args,
      answers.map((a) => a.stdout),
    );
  /** The commands of a plan's step, without the look at the end state it ends with. */
  const commands = (out: Outcome) => ((out.steps?.[0] as RunStep | undefined)?.script ?? '').split(' &&\n').slice(0, -1).join(' && ');

  it('state=directory: mkdir with attributes, or attributes alone, or nothing; the diff as Ansible registers it', () => {
    const made = decide(file, { path: '/srv/d', state: 'directory', mode: '0750' }, ABSENT);
    expect(made).toMatchObject({ changed: true, msg: 'directory would be created' });
    expect(commands(made)).toBe('{ [ -d /srv ] || { mkdir -m 0750 -- /srv; }; } && { [ -d /srv/d ] || { mkdir -m 0750 -- /srv/d; }; }');
    expect(made.diff?.[0].data).toEqual({ before: { path: '/srv/d', state: 'absent' }, after: { path: '/srv/d', state: 'directory', mode: '0750' } });
    const chmod = decide(file, { path: '/srv/d', state: 'directory', mode: '0750' }, statOutput('directory', { mode: '755' }));
    expect(commands(chmod)).toBe('chmod 0750 /srv/d');
    expect(chmod.diff?.[0].data).toEqual({ before: { path: '/srv/d', mode: '0755' }, after: { path: '/srv/d', mode: '0750' } });
    const same = decide(file, { path: '/srv/d', state: 'directory' }, statOutput('directory'));
    expect(same).toMatchObject({ changed: false, result: { path: '/srv/d', state: 'directory', mode: '0644', owner: 'root' } });
    expect(same.diff?.[0].data).toEqual({ before: { path: '/srv/d' }, after: { path: '/srv/d' } });
    expect(decide(file, { path: '/srv/d', state: 'directory' }, statOutput('file'))).toMatchObject({ failed: true, msg: '/srv/d already exists as a file' });
  });

  it('recurse applies attributes with -R, and only to a directory', () => {
    expect(commands(decide(file, { path: '/d', state: 'directory', owner: 'app', recurse: true }, statOutput('directory')))).toBe('chown -R app /d');
    expect(decide(file, { path: '/d', state: 'file', recurse: true }, statOutput('file'))).toMatchObject({
      failed: true,
      msg: "recurse option requires state to be 'directory'",
    });
  });

  it('state=absent removes what is there, and nothing when absent', () => {
    const removed = decide(file, { path: '/x', state: 'absent' }, statOutput('file'));
    expect(removed).toMatchObject({ changed: true, result: { path: '/x', state: 'absent' } });
    expect(commands(removed)).toBe('rm -rf /x');
    expect(decide(file, { path: '/x', state: 'absent' }, ABSENT)).toMatchObject({ changed: false, msg: 'already absent' });
  });

  it("state=link as Ansible's: creates, keeps a right link, refuses a file or a missing src without force, fixes a wrong target", () => {
    const src = (exists: boolean) => ({ stdout: `src ${exists ? 'yes' : 'no'}\n` });
    const made = decideAll(file, { path: '/l', state: 'link', src: '/t' }, [{ stdout: ABSENT }, src(true)]);
    expect(commands(made)).toBe('ln -s -- /t /l');
    const linked = `${statOutput('link', { link: '/t' })}`;
    const target = (real: string) => ({ stdout: `src yes\nreal ${real}\n--- target ---\n${statOutput('file')}` });
    expect(decideAll(file, { path: '/l', state: 'link', src: '/t' }, [{ stdout: linked }, target('/t')]).changed).toBe(false);
    const moved = decideAll(file, { path: '/l', state: 'link', src: '/t' }, [{ stdout: statOutput('link', { link: '/old' }) }, target('/old')]);
    expect(moved).toMatchObject({ changed: true, msg: 'link target differs (/old)' });
    expect(moved.diff?.[0].data).toEqual({ before: { path: '/l', src: '/old' }, after: { path: '/l', src: '/t' } });
    expect(commands(moved)).toBe('ln -sfn -- /t /.l.engine-link && mv -fT -- /.l.engine-link /l');
    expect(decideAll(file, { path: '/l', state: 'link', src: '/t' }, [{ stdout: statOutput('file') }, src(true)])).toMatchObject({
      failed: true,
      msg: 'refusing to convert from file to symlink for /l',
    });
    expect(decideAll(file, { path: '/l', state: 'link', src: '/t', force: true }, [{ stdout: statOutput('file') }, src(true)]).changed).toBe(true);
    expect(decideAll(file, { path: '/d/l', state: 'link', src: 'none' }, [{ stdout: ABSENT }, src(false)])).toMatchObject({
      failed: true,
      msg: 'src file does not exist, use "force=yes" if you really want to create the link: /d/none',
    });
    // A dry run after a change it did not make: src may be what an earlier task makes.
    const later = { ...planContext(), check: true, predict: true };
    expect(decide(file, { path: '/d/l', state: 'link', src: 'none' }, [ABSENT, 'src no\n'], later)).toMatchObject({ changed: true, predicted: true });
    expect(decide(file, { path: '/l', state: 'link' }, ABSENT)).toMatchObject({ failed: true, msg: 'src is required for creating new symlinks' });
    // follow: false owns the link itself; with follow, a target that does not exist keeps no attributes.
    expect(commands(decideAll(file, { path: '/l', state: 'link', src: '/t', owner: 'app', follow: false }, [{ stdout: ABSENT }, src(true)]))).toBe(
      'ln -s -- /t /l && chown -h app /l',
    );
    expect(commands(decideAll(file, { path: '/l', state: 'link', src: '/t', mode: '0600', force: true }, [{ stdout: ABSENT }, src(false)]))).toBe(
      'ln -s -- /t /l',
    );
  });

  it("chattr attributes compared with lsattr's flags as Ansible compares them; a removed directory's content in the diff; _diff_peek", () => {
    const flagged = (flags: string) => [statOutput('file'), `flags ${flags}\n`];
    expect(decide(file, { path: '/f', attributes: 'A' }, flagged('-------A------'))).toMatchObject({ changed: false });
    const add = decide(file, { path: '/f', attributes: '+A' }, flagged('-------------e--'));
    expect(commands(add)).toBe('chattr +A -- /f');
    expect(add.diff?.[0].data).toEqual({ before: { path: '/f', attributes: 'e' }, after: { path: '/f', attributes: '+A' } });
    // '-' always runs chattr, as Ansible's.
    expect(decide(file, { path: '/f', attributes: '-A' }, flagged('--------------')).changed).toBe(true);
    const removed = decide(file, { path: '/d', state: 'absent' }, [
      statOutput('directory'),
      `walk ${Buffer.from('d /d/sub\nf /d/sub/a\nl /d/link\n').toString('base64')}\n`,
    ]);
    expect(removed.diff?.[0].data?.before).toEqual({
      path: '/d',
      state: 'directory',
      path_content: { directories: ['/d/sub'], files: ['/d/sub/a', '/d/link'] },
    });
    const dir = mkdtempSync(join(tmpdir(), 'peek-'));
    writeFileSync(join(dir, 'bin'), Buffer.from([0x7f, 0x45, 0x00, 0x01]));
    writeFileSync(join(dir, 'text'), 'plain\n');
    const peek = (path: string) => file.plan({ path, _diff_peek: true }, foundHere(file.probe!({ path, _diff_peek: true }, planContext())), planContext());
    expect(peek(join(dir, 'bin'))).toMatchObject({ changed: false, result: { appears_binary: true } });
    expect(peek(join(dir, 'text'))).toMatchObject({ changed: false, result: { appears_binary: false } });
  });

  it('state=touch always changes; state=file only fixes attributes of an existing file', () => {
    expect(decide(file, { path: '/f', state: 'touch' }, statOutput('file'))).toMatchObject({ changed: true, msg: 'times would be updated' });
    expect(commands(decide(file, { path: '/f', state: 'file', mode: '0600' }, statOutput('file')))).toBe('chmod 0600 /f');
    expect(decide(file, { path: '/f', mode: '0644' }, statOutput('file')).changed).toBe(false);
    expect(decide(file, { path: '/f', state: 'file' }, ABSENT)).toMatchObject({ failed: true, msg: 'file (/f) is absent, cannot continue' });
  });

  it('modification_time and access_time: the host turns given times into seconds; equal times change nothing', () => {
    const args = { path: '/f', state: 'file' as const, modification_time: '202001011200.0', access_time: 'preserve' };
    const timesThen = (path: string, mtime: string) => `1577880000\n${mtime} 1700000000.25\n--- times ---\n${path}`;
    const probe = file.probe!(args, planContext()) as { script: string };
    expect(probe.script.split('\n').slice(0, 2)).toEqual(["date -d '2020-01-01 12:00:00' +%s", "stat -L -c '%.9Y %.9X' /f 2>/dev/null || echo - -"]);
    expect(decide(file, args, timesThen(statOutput('file'), '1577880000.000000000')).changed).toBe(false);
    expect(commands(decide(file, args, timesThen(statOutput('file'), '1700000000.5')))).toBe('touch -m -d @1577880000 /f');
    // touch: the access time is now unless given, and a new file is created first.
    const touched = decide(file, { ...args, state: 'touch', access_time: undefined }, timesThen(ABSENT, '- -'));
    expect(commands(touched)).toBe('touch /f && touch -m -d @1577880000 /f && touch -a /f');
    const both = { path: '/f', state: 'touch' as const, modification_time: 'preserve', access_time: 'preserve' };
    expect(decide(file, both, statOutput('file'))).toMatchObject({ changed: false });
    expect(decide(file, { path: '/f', modification_time: '2020-13-01', modification_time_format: '%Y-%m-%d' }, statOutput('file'))).toMatchObject({
      failed: true,
      msg: "Error while obtaining timestamp for time 2020-13-01 using format %Y-%m-%d: time data '2020-13-01' does not match format '%Y-%m-%d'",
    });
  });

  it("reads given times as Python's time.strptime does (compared with Python itself)", () => {
    const cases: [string, string][] = [
      ['202001011200.0', '%Y%m%d%H%M.%S'],
      ['01 Feb 99 7:05:09 PM', '%d %b %y %I:%M:%S %p'],
      ['2020-1-2 3:4', '%Y-%m-%d %H:%M'],
      ['2020-01-01 24:00', '%Y-%m-%d %H:%M'],
      ['2020-01-01x', '%Y-%m-%d'],
    ];
    const python = (text: string, format: string) => execFileSync('/usr/bin/python3', ['-c', PY_STRPTIME, text, format], { encoding: 'utf8' }).trim();
    for (const [text, format] of cases) {
      let ours: string;
      try {
        const c = pythonStrptime(text, format);
        ours = [c.year, c.month, c.day, c.hour, c.minute, c.second].join(' ');
      } catch (err) {
        ours = (err as Error).message;
      }
      expect(ours, `${text} / ${format}`).toBe(python(text, format));
    }
  });

  it('a mode neither octal nor symbolic fails the task, an unquoted YAML number is read as octal, a symbolic one applies to the mode there', () => {
    expect(() => decide(file, { path: '/f', mode: '0x1' }, statOutput('file'))).toThrow('mode must be in octal or symbolic form');
    expect(commands(decide(file, { path: '/f', mode: 0o600 }, statOutput('file')))).toBe('chmod 0600 /f');
    expect(commands(decide(file, { path: '/f', mode: 'u+x,g-r' }, statOutput('file', { mode: '644' })))).toBe('chmod 0704 /f');
    expect(decide(file, { path: '/f', mode: 'u=rw,g=r,o=r' }, statOutput('file', { mode: '644' }))).toMatchObject({ changed: false });
    // A directory made: 0777 less the host's umask (read with the stat), then the clause.
    const made = decide(file, { path: '/d', state: 'directory', mode: 'g+w' }, 'absent 0027\n');
    expect(commands(made)).toBe('{ [ -d /d ] || { mkdir -m 0770 -- /d; }; }');
    // Each directory made gets the mode, as Ansible's (sh here makes them).
    const top = mkdtempSync(join(tmpdir(), 'dirs-'));
    const deep = join(top, 'a', 'b');
    const step = decide(file, { path: deep, state: 'directory', mode: '0701' }, ABSENT).steps?.[0] as RunStep;
    execFileSync('sh', ['-c', step.script]);
    expect([join(top, 'a'), deep].map((d) => (statSync(d).mode & 0o777).toString(8))).toEqual(['701', '701']);
  });
});

describe('lineinfile', () => {
  const conf = statOutput('file', { content: 'a=1\nb=2\n' });
  it('replaces the matching line in one write, with the diff', () => {
    const out = decide(lineinfile, { path: '/etc/c', regexp: '^b=', line: 'b=3' }, conf);
    expect(out).toMatchObject({ changed: true, msg: 'line replaced' });
    expect(out.diff?.[0]).toMatchObject({ before: 'a=1\nb=2\n', after: 'a=1\nb=3\n' });
    expect(out.steps).toEqual([
      {
        kind: 'write',
        path: '/etc/c',
        content: Buffer.from('a=1\nb=3\n'),
        mode: undefined,
        owner: undefined,
        group: undefined,
        backup: undefined,
        backupKey: 'backup',
        validate: undefined,
        makeParents: false,
      },
    ]);
  });

  it('create: a file made here gets its missing directories, as Ansible makes them', () => {
    const out = decide(lineinfile, { path: '/etc/new/dir/c', line: 'x=1', create: true }, ABSENT);
    expect(out.steps?.[0]).toMatchObject({ kind: 'write', path: '/etc/new/dir/c', content: Buffer.from('x=1\n'), makeParents: true });
  });

  it('nothing to do when the line is there; attributes alone are a chmod', () => {
    expect(decide(lineinfile, { path: '/etc/c', line: 'a=1' }, conf).changed).toBe(false);
    expect(decide(lineinfile, { path: '/etc/c', line: 'a=1', mode: '0600' }, conf).steps).toEqual([
      { kind: 'run', script: 'chmod 0600 /etc/c', what: undefined },
    ]);
  });

  it('a missing file: created with create, refused without, nothing to remove for absent', () => {
    expect(decide(lineinfile, { path: '/etc/c', line: 'x', create: true }, ABSENT)).toMatchObject({ changed: true });
    expect(decide(lineinfile, { path: '/etc/c', line: 'x' }, ABSENT)).toMatchObject({
      failed: true,
      msg: 'Destination /etc/c does not exist ! (create: true creates it)',
    });
    expect(decide(lineinfile, { path: '/etc/c', line: 'x', state: 'absent' }, ABSENT)).toMatchObject({ changed: false });
    expect(decide(lineinfile, { path: '/etc/c' }, conf)).toMatchObject({ failed: true, msg: 'line is required with state=present' });
  });

  it('a directory at path fails the probe', () => {
    expect(() => decide(lineinfile, { path: '/etc', line: 'x' }, statOutput('directory'))).toThrow('Path /etc is a directory !');
  });
});

describe('blockinfile', () => {
  it('inserts a marked block, keeps an equal one, removes it when empty', () => {
    const added = decide(blockinfile, { path: '/etc/h', block: 'x\ny' }, statOutput('file', { content: 'top\n' }));
    expect(added.diff?.[0].after).toBe('top\n# BEGIN ANSIBLE MANAGED BLOCK\nx\ny\n# END ANSIBLE MANAGED BLOCK\n');
    const present = statOutput('file', { content: 'top\n# BEGIN ANSIBLE MANAGED BLOCK\nx\ny\n# END ANSIBLE MANAGED BLOCK\n' });
    expect(decide(blockinfile, { path: '/etc/h', block: 'x\ny' }, present).changed).toBe(false);
    expect(decide(blockinfile, { path: '/etc/h', block: '' }, present).steps?.[0]).toMatchObject({ kind: 'write', content: Buffer.from('top\n') });
  });
});

describe('stat', () => {
  /** What the stat script prints for a path: GNU stat's fields, access, link, checksum, MIME. */
  const statFields = (rawMode: string, extra: { access?: string; link?: string[]; sum?: string; mime?: string[] } = {}) =>
    [
      `${rawMode} 644 0 0 root root 3 77 2049 1 8 4096 1700000001 1700000002 1700000003 0 0`,
      `a${extra.access ?? 'rw'}`,
      ...(extra.link ?? ['', '']),
      extra.sum ?? '',
      ...(extra.mime ?? ['text/plain', 'us-ascii']),
    ].join('\n');

  it("reports a file in Ansible's names and numbers, its sha1 by default", () => {
    const sha1 = createHash('sha1').update('abc').digest('hex');
    const out = decide(stat, { path: '/etc/a' }, statFields('81a4', { sum: `${sha1}  -` }));
    expect(out.result?.stat).toEqual({
      exists: true,
      path: '/etc/a',
      mode: '0644',
      isdir: false,
      ischr: false,
      isblk: false,
      isreg: true,
      isfifo: false,
      islnk: false,
      issock: false,
      uid: 0,
      gid: 0,
      pw_name: 'root',
      gr_name: 'root',
      size: 3,
      inode: 77,
      dev: 2049,
      nlink: 1,
      blocks: 8,
      block_size: 4096,
      atime: 1700000001,
      mtime: 1700000002,
      ctime: 1700000003,
      wusr: true,
      rusr: true,
      xusr: false,
      wgrp: false,
      rgrp: true,
      xgrp: false,
      woth: false,
      roth: true,
      xoth: false,
      isuid: false,
      isgid: false,
      readable: true,
      writeable: true,
      executable: false,
      checksum: sha1,
      mimetype: 'text/plain',
      charset: 'us-ascii',
    });
  });

  it("gives times as Python's float seconds, their fractions kept (GNU stat here, as a host prints them)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'stat-'));
    const path = join(dir, 'f');
    writeFileSync(path, 'x');
    utimesSync(path, 1700000000.25, 1700000000.5);
    const got = stat.plan({ path }, foundHere(stat.probe!({ path }, planContext())), planContext()).result?.stat as Record<string, number>;
    expect([got.atime, got.mtime]).toEqual([1700000000.25, 1700000000.5]);
  });

  it('tells a link, a set-uid directory and absence apart', () => {
    const link = decide(stat, { path: '/l' }, statFields('a1ff', { link: ['t', '/etc/t'] })).result?.stat;
    expect(link).toMatchObject({ islnk: true, isreg: false, lnk_target: 't', lnk_source: '/etc/t' });
    expect(decide(stat, { path: '/d' }, statFields('41c9')).result?.stat).toMatchObject({ isdir: true, mode: '0711', isuid: false });
    expect(decide(stat, { path: '/d' }, statFields('49c9')).result?.stat).toMatchObject({ isdir: true, mode: '4711', isuid: true });
    expect(decide(stat, { path: '/none' }, ABSENT)).toMatchObject({ changed: false, msg: 'absent', result: { stat: { exists: false } } });
  });

  it('asks for the checksum (with its algorithm) and the MIME type only when wanted, and follows links only when told', () => {
    const { scripts } = answer(stat.probe!({ path: '/a', get_checksum: false, get_mime: false }, planContext()), { stdout: ABSENT });
    expect(scripts[0]).not.toMatch(/sum </);
    expect(scripts[0]).not.toContain('file -b');
    expect(scripts[0]).toContain("stat -c '");
    expect(answer(stat.probe!({ path: '/a', checksum_algorithm: 'sha256' }, planContext()), { stdout: ABSENT }).scripts[0]).toContain('sha256sum < /a');
    expect(answer(stat.probe!({ path: '/a', follow: true }, planContext()), { stdout: ABSENT }).scripts[0]).toContain('stat -L -c');
  });
});

describe('sysctl', () => {
  const withFile = (live: string | undefined, text: string) => {
    const args = { name: 'net.ipv4.ip_forward', value: 1 };
    const ctx = planContext();
    const { found } = answer(sysctl.probe!(args, ctx), live === undefined ? { rc: 255, stderr: 'unknown key' } : { stdout: `${live}\n` }, {
      stdout: text === '' ? ABSENT : statOutput('file', { content: text }),
    });
    return (over: Record<string, unknown> = {}) => sysctl.plan({ ...args, ...over }, found, ctx);
  };

  it('sets the file and the running kernel in two steps, each with its diff', () => {
    const out = withFile('0', '')();
    expect(out.msg).toBe('/etc/sysctl.conf updated; live value 0 -> 1');
    expect(out.steps).toEqual([
      { kind: 'write', path: '/etc/sysctl.conf', content: Buffer.from('net.ipv4.ip_forward = 1\n') },
      { kind: 'run', script: 'sysctl -q -w net.ipv4.ip_forward=1', what: undefined },
    ]);
    expect(out.diff?.map((d) => d.beforeHeader)).toEqual(['/etc/sysctl.conf', 'running kernel']);
  });

  it('nothing when both hold; the file alone with reload off; absent removes the line', () => {
    expect(withFile('1', 'net.ipv4.ip_forward = 1\n')().changed).toBe(false);
    expect(withFile('1', '')({ reload: false }).steps).toHaveLength(1);
    expect(withFile('1', 'net.ipv4.ip_forward = 1\n')({ state: 'absent', value: undefined }).steps?.[0]).toMatchObject({ content: Buffer.from('') });
  });

  it('an unknown key fails, an empty value fails', () => {
    expect(withFile(undefined, '')()).toMatchObject({ failed: true, msg: 'unknown kernel parameter net.ipv4.ip_forward' });
    expect(withFile('1', '')({ value: '' })).toMatchObject({ failed: true, msg: 'state=present needs value' });
  });
});

describe('assemble', () => {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  /** The fragments script's answer: `dir`, then name and content of each file, base64. */
  const fragments = (files: Record<string, string>) => ['dir', ...Object.entries(files).flatMap(([n, c]) => [b64(n), b64(c)]), ''].join('\n');
  const written = (out: Outcome) => ((out.steps?.[0] ?? {}) as { content?: Buffer }).content?.toString();

  it("joins the fragments in name order as Ansible's: a newline where one lacks it, the delimiter between them", () => {
    const files = { b: 'two\n', a: 'one', '.h': 'hidden\n' };
    const args = { src: '/frag', dest: '/out' };
    expect(written(decide(assemble, args, [fragments(files), ABSENT]))).toBe('hidden\none\ntwo\n');
    expect(written(decide(assemble, { ...args, ignore_hidden: true, delimiter: '#--\\t--#' }, [fragments(files), ABSENT]))).toBe('one\n#--\t--#\ntwo\n');
    expect(written(decide(assemble, { ...args, regexp: '^[ab]$' }, [fragments(files), ABSENT]))).toBe('one\ntwo\n');
  });

  it('leaves a dest that holds the result already, and says what is wrong with the source', () => {
    const args = { src: '/frag', dest: '/out' };
    expect(decide(assemble, args, [fragments({ a: 'x\n' }), statOutput('file', { content: 'x\n' })])).toMatchObject({ changed: false });
    expect(decide(assemble, args, ['missing\n', ABSENT])).toMatchObject({ failed: true, msg: 'Source (/frag) does not exist' });
    expect(decide(assemble, args, ['not a directory\n', ABSENT])).toMatchObject({ failed: true, msg: 'Source (/frag) is not a directory' });
    expect(decide(assemble, { ...args, regexp: '(' }, [fragments({}), ABSENT])).toMatchObject({
      failed: true,
      msg: 'Invalid Regexp (missing ), unterminated subpattern) in "("',
    });
  });

  it('with remote_src: false, reads the fragments on the controller; a vault-encrypted one fails the task', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engine-assemble-'));
    writeFileSync(join(dir, '2'), 'second\n');
    writeFileSync(join(dir, '1'), 'first\n');
    const ctx = planContext({ findLocal: () => dir });
    const out = decide(assemble, { src: 'frags', dest: '/out', remote_src: false }, ABSENT, ctx);
    expect(out).toMatchObject({ changed: true, result: { checksum: createHash('sha1').update('first\nsecond\n').digest('hex'), src: 'frags' } });
    writeFileSync(join(dir, '3'), '$ANSIBLE_VAULT;1.1;AES256\n3033\n');
    expect(decide(assemble, { src: 'frags', dest: '/out', remote_src: false }, ABSENT, ctx)).toMatchObject({
      failed: true,
      msg: expect.stringContaining('3 is vault-encrypted'),
    });
  });
});

describe('copy of a local directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'engine-tree-'));
  mkdirSync(join(dir, 'conf/sub'), { recursive: true });
  writeFileSync(join(dir, 'conf/a.cfg'), 'a\n');
  writeFileSync(join(dir, 'conf/sub/b.cfg'), 'b\n');
  const ctx = planContext({ findLocal: (_kind, name) => join(dir, name) });
  /** The tree look's answer: root, then each directory, then each file. */
  const look = (...lines: string[]) => `${lines.join('\n')}\n`;

  it('makes the tree under dest (src/ its contents, src itself), one look for every path', () => {
    const into = copy.probe!({ src: 'conf/', dest: '/etc/app' }, ctx) as { script: string };
    expect(into.script).toContain('for p in /etc/app /etc/app/sub /etc/app/a.cfg /etc/app/sub/b.cfg; do look');
    const itself = copy.probe!({ src: 'conf', dest: '/etc' }, ctx) as { script: string };
    expect(itself.script).toContain('for p in /etc/conf /etc/conf/sub /etc/conf/a.cfg');
    const out = decide(copy, { src: 'conf/', dest: '/etc/app', mode: '0600', directory_mode: '0750' }, look('absent', 'absent', 'absent', 'absent'), ctx);
    expect(out).toMatchObject({ changed: true, result: { dest: '/etc/app/', src: `${join(dir, 'conf')}/` } });
    expect(out.steps?.map((s) => (s.kind === 'run' ? s.script : s.kind === 'write' ? `write ${s.path} ${s.mode}` : s.kind))).toEqual([
      'mkdir -p -m 0750 /etc/app && mkdir -m 0750 /etc/app/sub',
      'write /etc/app/a.cfg 0600',
      'write /etc/app/sub/b.cfg 0600',
    ]);
  });

  it('writes only files that differ, fixes attributes alone where only they differ, refuses a file where a directory goes', () => {
    const same = (text: string, mode = '644') => `file ${mode} root root ${sha(text)}`;
    expect(decide(copy, { src: 'conf/', dest: '/etc/app' }, look('directory', 'directory', same('a\n'), same('b\n')), ctx)).toMatchObject({ changed: false });
    const out = decide(copy, { src: 'conf/', dest: '/etc/app', mode: '0644' }, look('directory', 'directory', same('old\n'), same('b\n', '600')), ctx);
    expect(out.steps?.map((s) => s.kind)).toEqual(['write', 'run']);
    expect(out.steps?.[1]).toMatchObject({ script: 'chmod 0644 /etc/app/sub/b.cfg' });
    expect(out.diff?.[0]).toMatchObject({ before: `(sha256 ${sha('old\n')})\n`, after: 'a\n' });
    expect(decide(copy, { src: 'conf/', dest: '/etc/app', force: false }, look('directory', 'directory', same('old\n'), same('b\n')), ctx).changed).toBe(false);
    expect(decide(copy, { src: 'conf/', dest: '/etc/app' }, look('directory', same('x'), 'absent', 'absent'), ctx)).toMatchObject({
      failed: true,
      msg: '/etc/app/sub exists and is not a directory',
    });
  });
});

describe('replace', () => {
  const text = 'alpha one\nbeta two\nalpha three\n';
  const file = (content: string) => statOutput('file', { content });

  it("replaces every match (MULTILINE, Python's backreferences) in one write, with the count as Ansible says it", () => {
    const out = decide(replace, { path: '/etc/x', regexp: '^alpha (\\w+)$', replace: 'gamma \\1' }, file(text));
    expect(out).toMatchObject({ changed: true, msg: '2 replacements made', result: { rc: 0 } });
    expect((out.steps![0] as { content: Buffer }).content.toString()).toBe('gamma one\nbeta two\ngamma three\n');
    expect(out.diff?.[0]).toMatchObject({ before: text, after: 'gamma one\nbeta two\ngamma three\n' });
    expect(decide(replace, { path: '/etc/x', regexp: '^delta' }, file(text))).toMatchObject({ changed: false, msg: '' });
    // A match replaced by itself changes nothing.
    expect(decide(replace, { path: '/etc/x', regexp: '(beta)', replace: '\\1' }, file(text)).changed).toBe(false);
  });

  it('only between after and before (DOTALL, the shortest part), and says so when they do not match', () => {
    expect(replaceIn(text, { path: 'x', regexp: 'alpha', replace: 'A', after: 'beta' })).toEqual({
      text: 'alpha one\nbeta two\nA three\n',
      msg: '1 replacements made',
    });
    expect(replaceIn(text, { path: 'x', regexp: 'a', replace: '4', after: 'one', before: 'three' })).toEqual({
      text: 'alpha one\nbet4 two\n4lph4 three\n',
      msg: '3 replacements made',
    });
    expect(replaceIn(text, { path: 'x', regexp: 'a', before: 'alpha one' })).toEqual({ text, msg: '' });
    expect(replaceIn(text, { path: 'x', regexp: 'a', after: 'three', before: 'one' })).toEqual({
      unmatched: 'Pattern for before/after params did not match the given file: three(?P<subsection>.*?)one',
    });
  });

  it("a missing file and a directory fail in Ansible's words and codes; an empty match moves on", () => {
    expect(decide(replace, { path: '/etc/none', regexp: 'a' }, ABSENT)).toMatchObject({
      failed: true,
      msg: 'Path /etc/none does not exist !',
      result: { rc: 257 },
    });
    expect(() => decide(replace, { path: '/etc', regexp: 'a' }, 'directory 755 root root 4096 1\n\n\n-')).toThrow('Path /etc is a directory !');
    expect(replaceIn('ab\n', { path: 'x', regexp: 'x*', replace: '-' })).toEqual({ text: '-a-b-\n-', msg: '4 replacements made' });
  });
});

describe('slurp', () => {
  const host = mkdtempSync(join(tmpdir(), 'slurp-'));
  writeFileSync(join(host, 'café.txt'), 'We are at the café');
  writeFileSync(join(host, 'bin'), Buffer.from([0, 255, 10, 13]));
  mkdirSync(join(host, 'dir'));
  /** The probe's script run by sh on this machine, as a host would run it. */
  const slurped = (src: string) => slurp.plan({ src }, foundHere(slurp.probe!({ src }, planContext())), planContext());

  it('returns the file whole as base64, text or binary, and changes nothing', () => {
    expect(slurped(join(host, 'café.txt'))).toMatchObject({
      changed: false,
      result: { content: Buffer.from('We are at the café').toString('base64'), encoding: 'base64', source: join(host, 'café.txt') },
    });
    expect(Buffer.from(slurped(join(host, 'bin')).result!.content as string, 'base64')).toEqual(Buffer.from([0, 255, 10, 13]));
  });

  it("fails in Ansible's words for a missing file, a path through a file and a directory", () => {
    expect(slurped(join(host, 'none'))).toMatchObject({ failed: true, msg: `file not found: ${join(host, 'none')}` });
    expect(slurped(join(host, 'bin', 'x'))).toMatchObject({
      failed: true,
      msg: `unable to slurp file: [Errno 20] Not a directory: '${join(host, 'bin', 'x')}'`,
    });
    expect(slurped(join(host, 'dir'))).toMatchObject({ failed: true, msg: `source is a directory and must be a file: ${join(host, 'dir')}` });
    const look = slurp.probe!({ src: '/root/secret' }, planContext()) as { parse(res: { rc: number; stdout: string; stderr: string }): unknown };
    expect(slurp.plan({ src: '/root/secret' }, look.parse({ rc: 0, stdout: 'unreadable\n', stderr: '' }) as never, planContext())).toMatchObject({
      msg: 'file is not readable: /root/secret',
    });
  });
});

describe('fetch', () => {
  const host = mkdtempSync(join(tmpdir(), 'fetch-host-'));
  const controller = mkdtempSync(join(tmpdir(), 'fetch-ctl-'));
  writeFileSync(join(host, 'motd'), 'welcome\n');
  mkdirSync(join(host, 'dir'));
  const atController = (path: string) => (path.startsWith('/') ? path : join(controller, path));
  /** prepare on this machine's controller side, the probe's script run by sh as a host would. */
  const fetched = async (args: Parameters<typeof fetch.plan>[0]) => {
    const ctx = planContext({ localPath: atController });
    const prepared = await fetch.prepare!(args, ctx);
    return fetch.plan(args, foundHere(fetch.probe!(args, { ...ctx, prepared })), ctx);
  };
  const write = async (plan: Outcome) => {
    for (const step of plan.steps ?? []) if (step.kind === 'call') await step.fn();
  };

  it("goes under dest/<host>/<src>, or with flat to dest itself; a trailing slash there adds src's name", () => {
    const resolve = (path: string) => `/ctl/${path}`;
    expect(fetchDestination({ src: '/etc/motd', dest: 'out' }, 'node1', resolve)).toBe('/ctl/out/node1/etc/motd');
    expect(fetchDestination({ src: '/etc/motd', dest: 'out/x', flat: true }, 'node1', resolve)).toBe('/ctl/out/x');
    expect(fetchDestination({ src: '/etc/motd', dest: 'out/', flat: true }, 'node1', resolve)).toBe('/ctl/out/motd');
  });

  it('a new or different copy is a change with one write; the same copy is not; the write leaves no temporary file', async () => {
    const args = { src: join(host, 'motd'), dest: 'copy.txt', flat: true };
    const first = await fetched(args);
    expect(first).toMatchObject({
      changed: true,
      result: { dest: join(controller, 'copy.txt'), checksum: createHash('sha1').update('welcome\n').digest('hex') },
    });
    expect(first.steps).toHaveLength(1);
    await write(first);
    expect(readFileSync(join(controller, 'copy.txt'), 'utf8')).toBe('welcome\n');
    expect(await fetched(args)).toMatchObject({ changed: false });
    writeFileSync(join(host, 'motd'), 'changed\n');
    await write(await fetched(args));
    expect(readFileSync(join(controller, 'copy.txt'), 'utf8')).toBe('changed\n');
    expect(readdirSync(controller)).toEqual(['copy.txt']);
  });

  it("a missing src or a directory is ignored with fail_on_missing false; a directory as flat dest fails, in Ansible's words", async () => {
    const missing = { src: join(host, 'none'), dest: 'x', flat: true };
    expect(await fetched(missing)).toMatchObject({ failed: true, msg: 'the remote file does not exist, not transferring, ignored' });
    expect(await fetched({ ...missing, fail_on_missing: false })).toMatchObject({ changed: false, failed: false, result: { file: join(host, 'none') } });
    const directory = { src: join(host, 'dir'), dest: 'x', flat: true };
    expect(await fetched(directory)).toMatchObject({ failed: true, msg: 'remote file is a directory, fetch cannot work on directories' });
    expect(await fetched({ ...directory, fail_on_missing: false })).toMatchObject({
      failed: false,
      msg: 'remote file is a directory, fetch cannot work on directories, not transferring, ignored',
    });
    mkdirSync(join(controller, 'adir'), { recursive: true });
    expect(await fetched({ src: join(host, 'motd'), dest: 'adir', flat: true })).toMatchObject({
      failed: true,
      msg: `dest is an existing directory, use a trailing slash if you want to fetch src into that directory: ${join(controller, 'adir')}`,
    });
  });
});

describe('unarchive', () => {
  const b64 = (lines: string[]) => Buffer.from(lines.map((l) => `${l}\n`).join('')).toString('base64');
  const probeOutput = (o: { magic: string; kind: 'tar' | 'zip'; files: string[]; diff: string[]; uid?: number }) =>
    [`magic ${o.magic}`, `kind ${o.kind}`, `files ${b64(o.files)}`, `uid ${o.uid ?? 0}`, `diff ${b64(o.diff)}`, ''].join('\n');
  const decideUnarchive = (args: Parameters<typeof unarchive.plan>[0], stdout: string) => {
    const ctx = planContext();
    return unarchive.plan(args, answer(unarchive.probe!(args, ctx), { stdout }).found, ctx);
  };
  const remote = { src: '/srv/site.tar.gz', dest: '/var/www', remote_src: true };

  it("judges tar --diff by Ansible's rules: a missing file or a newer time is a change; uid lines count only for root without owner", () => {
    const missing = decideUnarchive(
      remote,
      probeOutput({ magic: '1f8b08000000', kind: 'tar', files: ['index.html'], diff: ['index.html: Warning: Cannot stat: No such file or directory'] }),
    );
    expect(missing).toMatchObject({ changed: true, result: { handler: 'TgzArchive', dest: '/var/www' } });
    expect((missing.steps as RunStep[])[0].script).toContain('tar --extract -C /var/www');
    const uid = probeOutput({ magic: '1f8b08000000', kind: 'tar', files: ['a'], diff: ['a: Uid differs'], uid: 1000 });
    expect(decideUnarchive(remote, uid)).toMatchObject({ changed: false });
    const rootUid = probeOutput({ magic: '1f8b08000000', kind: 'tar', files: ['a'], diff: ['a: Uid differs'], uid: 0 });
    expect(decideUnarchive(remote, rootUid).changed).toBe(true);
    expect(decideUnarchive({ ...remote, owner: 'www-data' }, rootUid).changed).toBe(false);
  });

  it('names the handler from the magic bytes, lists files when asked, and with attributes still sets them when nothing differs', () => {
    const zip = decideUnarchive(
      { ...remote, src: '/srv/a.zip', list_files: true },
      probeOutput({ magic: '504b03040a00', kind: 'zip', files: ['d/', 'd/x'], diff: [] }),
    );
    expect(zip).toMatchObject({ changed: false, result: { handler: 'ZipArchive', files: ['d/', 'd/x'] } });
    const xz = decideUnarchive({ ...remote, mode: 'u+rwX,g-w' }, probeOutput({ magic: 'fd377a585a00', kind: 'tar', files: ['x'], diff: [] }));
    expect(xz).toMatchObject({ changed: false, result: { handler: 'TarXzArchive' } });
    const [attrs] = xz.steps as RunStep[];
    expect(attrs.script).toContain('chmod u+rwX,g-w "$p"');
    expect(attrs.script).not.toContain('--extract');
    expect(attrs.result!({ rc: 0, stdout: 'changed\n', stderr: '', seconds: 0 })).toMatchObject({ changed: true });
    expect(() => decideUnarchive({ ...remote, mode: 'rw' }, probeOutput({ magic: '', kind: 'tar', files: ['x'], diff: [] }))).toThrow(/not an octal mode/);
  });

  it('creates skips; include and exclude together fail; the probe script unpacks nothing', () => {
    const skipped = unarchive.plan(
      { ...remote, creates: '/var/www/index.html' },
      answer(unarchive.probe!({ ...remote, creates: '/var/www/index.html' }, planContext()), { stdout: 'yes\n' }).found,
      planContext(),
    );
    expect(skipped).toMatchObject({ changed: false, result: { skipped: true }, msg: 'skipped, since /var/www/index.html exists' });
    const both = decideUnarchive({ ...remote, include: ['a'], exclude: ['b'] }, probeOutput({ magic: '', kind: 'tar', files: [], diff: [] }));
    expect(both).toMatchObject({ failed: true, msg: 'parameters are mutually exclusive: include|exclude' });
    const look = unarchive.probe!(remote, planContext()) as Query<unknown>;
    expect(look.script).not.toMatch(/--extract|unzip -o/);
  });

  it("takes a comma string as a list, as Ansible's list arguments: each exclude its own tar option", () => {
    const changed = probeOutput({ magic: '1f8b08000000', kind: 'tar', files: ['a'], diff: ['a: Mod time differs'] });
    const [extract] = decideUnarchive({ ...remote, exclude: 'cache/*,*.tmp', extra_opts: '--no-same-owner' }, changed).steps as RunStep[];
    expect(extract.script).toContain("'--exclude=cache/*' '--exclude=*.tmp'");
    expect(extract.script).toContain(' --no-same-owner ');
  });
});

describe('find', () => {
  const tree = mkdtempSync(join(tmpdir(), 'find-'));
  mkdirSync(join(tree, 'logs', 'old'), { recursive: true });
  mkdirSync(join(tree, '.hidden'));
  writeFileSync(join(tree, 'a.conf'), 'listen=5060\n');
  writeFileSync(join(tree, 'b.log'), 'x'.repeat(2048));
  writeFileSync(join(tree, '.dot.conf'), 'hidden\n');
  writeFileSync(join(tree, 'logs', 'c.log'), 'ERROR one\nok\n');
  writeFileSync(join(tree, 'logs', 'old', 'd.log'), 'old\n');
  writeFileSync(join(tree, '.hidden', 'e.conf'), 'in a hidden directory\n');
  /** The probe's scripts run by sh on this machine, as a host would run them. */
  const found = (args: Record<string, unknown>) => {
    const out = find.plan(args as never, foundHere(find.probe!(args as never, planContext())), planContext());
    return { ...out, paths: ((out.result?.files ?? []) as { path: string }[]).map((f) => f.path.slice(tree.length + 1)).sort() };
  };

  it('finds files by glob (a comma string is a list), not hidden names, not below the path without recurse', () => {
    expect(found({ paths: tree, patterns: '*.conf,*.log' })).toMatchObject({
      paths: ['a.conf', 'b.log'],
      msg: 'All paths examined',
      result: { matched: 2, examined: 5 },
    });
    expect(found({ paths: tree, patterns: '*.conf', hidden: true }).paths).toEqual(['.dot.conf', 'a.conf']);
  });

  it('recurses (into hidden directories too, as os.walk), to a depth; by size, type, excludes and Python regexps', () => {
    expect(found({ paths: tree, patterns: '*.log', recurse: true }).paths).toEqual(['b.log', 'logs/c.log', 'logs/old/d.log']);
    expect(found({ paths: tree, patterns: '*.conf', recurse: true }).paths).toEqual(['.hidden/e.conf', 'a.conf']);
    expect(found({ paths: tree, patterns: '*.log', recurse: true, depth: 2 }).paths).toEqual(['b.log', 'logs/c.log']);
    expect(found({ paths: tree, recurse: true, size: '1k' }).paths).toEqual(['b.log']);
    expect(found({ paths: tree, recurse: true, file_type: 'directory' }).paths).toEqual(['logs', 'logs/old']);
    expect(found({ paths: tree, patterns: ['^[ab]\\.'], use_regex: true, excludes: '.*log$' }).paths).toEqual(['a.conf']);
  });

  it('contains matches a line from its start (or with read_whole_file, anywhere, $ before a final newline); get_checksum gives sha1', () => {
    expect(found({ paths: tree, recurse: true, patterns: '*.log', contains: 'ERROR' }).paths).toEqual(['logs/c.log']);
    expect(found({ paths: tree, recurse: true, patterns: '*.log', contains: 'one' }).paths).toEqual([]);
    expect(found({ paths: tree, patterns: '*.conf', contains: '5060$', read_whole_file: true }).paths).toEqual(['a.conf']);
    const [file] = found({ paths: tree, patterns: 'a.conf', get_checksum: true }).result!.files as { checksum: string; mode: string; isreg: boolean }[];
    expect(file).toMatchObject({ checksum: createHash('sha1').update('listen=5060\n').digest('hex'), isreg: true });
  });

  it("a path that is not a directory is skipped in Ansible's words; a bad age fails", () => {
    expect(found({ paths: [tree, join(tree, 'a.conf')] })).toMatchObject({
      msg: 'Not all paths examined, check warnings for details',
      result: { skipped_paths: { [join(tree, 'a.conf')]: `'${join(tree, 'a.conf')}' is not a directory` } },
    });
    expect(found({ paths: tree, age: '3 days' })).toMatchObject({ failed: true, msg: 'failed to process age' });
  });
});

describe('known_hosts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'known-hosts-'));
  const path = join(dir, 'known_hosts');
  const KEY_A = 'node1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKnL2d3xxk1n3rWk0oVbW4oGQ9mHqH0l5k8yqXv5b9aA';
  const KEY_B = 'node1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOn3q8mK5c0f0J2x7xv1v3p0cC2a9Y7l3gq1Xb2m9W1B';
  /** The probe run by sh here, its key on stdin, as a host runs it; then the plan and its write. */
  const apply = (args: Parameters<typeof known_hosts.plan>[0]) => {
    const out = known_hosts.plan(args, foundHere(known_hosts.probe!(args, planContext())), planContext());
    for (const step of out.steps ?? []) if (step.kind === 'write') writeFileSync(step.path, step.content);
    return out;
  };

  it('adds a key once; another key of the same type replaces it in its line; absent removes it, without a key every line of the host', () => {
    writeFileSync(path, 'other ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx\n');
    expect(apply({ name: 'NODE1', key: KEY_A, path })).toMatchObject({ changed: true, result: { name: 'node1', path } });
    expect(apply({ name: 'node1', key: KEY_A, path })).toMatchObject({ changed: false });
    expect(apply({ name: 'node1', key: KEY_B, path }).changed).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(`other ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx\n${KEY_B}\n`);
    // As Ansible's: absent with a key removes the host's line of that key type, whatever its key.
    expect(apply({ name: 'node1', key: KEY_A, path, state: 'absent' }).changed).toBe(true);
    expect(apply({ name: 'node1', key: KEY_A, path, state: 'absent' }).changed).toBe(false);
    apply({ name: 'node1', key: KEY_A, path });
    expect(apply({ name: 'node1', path, state: 'absent' }).changed).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('other ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx\n');
  });

  it("hash_host writes the name hashed, which ssh-keygen -F still finds; a key naming another host is refused in Ansible's words", () => {
    expect(apply({ name: 'node1', key: KEY_A, path, hash_host: true }).changed).toBe(true);
    expect(readFileSync(path, 'utf8')).toMatch(/\n\|1\|[^|]+\|[^ ]+ ssh-ed25519 /);
    expect(apply({ name: 'node1', key: KEY_A, path, hash_host: true }).changed).toBe(false);
    expect(apply({ name: 'node2', key: KEY_A, path })).toMatchObject({ failed: true, msg: 'Host parameter does not match hashed host field in supplied key' });
    expect(apply({ name: 'node2', path })).toMatchObject({ failed: true, msg: 'No key specified when adding a host' });
  });
});

describe('file state=hard', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hard-'));
  writeFileSync(join(dir, 'a'), 'a\n');
  writeFileSync(join(dir, 'other'), 'o\n');
  /** The probe's scripts run by sh here, as a host would; then the plan, whose steps sh runs too. */
  const hard = (args: Parameters<typeof file.plan>[0], apply = true) => {
    const out = file.plan(args, foundHere(file.probe!(args, planContext())), planContext());
    for (const step of apply ? (out.steps ?? []) : [])
      if (step.kind === 'run')
        Object.assign(
          out.result ?? {},
          step.result?.({ rc: 0, stdout: execFileSync('sh', ['-c', step.script], { encoding: 'utf8' }), stderr: '', seconds: 0 }),
        );
    return out;
  };

  it('makes a hard link (src relative to the path), then nothing; another file there needs force; a missing src fails', () => {
    const link = join(dir, 'b');
    expect(hard({ path: link, src: 'a', state: 'hard' })).toMatchObject({ changed: true, result: { state: 'hard', dest: link } });
    expect(statSync(link).ino).toBe(statSync(join(dir, 'a')).ino);
    expect(hard({ path: link, src: 'a', state: 'hard' }).changed).toBe(false);
    expect(hard({ path: join(dir, 'other'), src: 'a', state: 'hard' })).toMatchObject({ failed: true, msg: 'Cannot link, file exists at destination' });
    expect(hard({ path: join(dir, 'other'), src: 'a', state: 'hard', force: true }).changed).toBe(true);
    expect(readFileSync(join(dir, 'other'), 'utf8')).toBe('a\n');
    expect(hard({ path: join(dir, 'c'), src: 'nope', state: 'hard' })).toMatchObject({ failed: true, msg: 'src does not exist' });
    // A directory as the path stands for src's name in it, as Ansible's file does.
    mkdirSync(join(dir, 'into'));
    expect(hard({ path: join(dir, 'into'), src: join(dir, 'a'), state: 'hard' })).toMatchObject({ changed: true, result: { dest: join(dir, 'into', 'a') } });
    expect(statSync(join(dir, 'into', 'a')).ino).toBe(statSync(join(dir, 'a')).ino);
  });
});
