// The three output modes of one run, parsed to the same shape: exit code and recap per host.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { engine, jsonEvents, recap, ROOT } from './engine';

export type Mode = 'plain' | 'json' | 'tty';

export interface ModeRun {
  code: number;
  output: string;
  recap: Record<string, Record<string, number>>;
}

/**
 * Runs the CLI on a real pseudo-terminal (util-linux `script`), as an operator's shell would;
 * `answer` types its text once the output shows the prompt.
 */
export function onTerminal(
  args: string[],
  options: { timeoutMs?: number; answer?: { prompt: string; typed: string }; env?: Record<string, string> } = {},
): Promise<{ code: number; output: string }> {
  const command = [join(ROOT, 'node_modules/.bin/ts-node'), join(ROOT, 'engine'), ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((done) => {
    const env: Record<string, string | undefined> = { ...process.env };
    delete env.CI;
    Object.assign(env, options.env);
    const child = spawn('script', ['-qec', `stty cols 160 rows 50; ${command}`, '/dev/null'], { cwd: ROOT, env });
    let output = '';
    let answer = options.answer;
    child.stdout.on('data', (d: Buffer) => {
      output += d;
      if (answer && output.includes(answer.prompt)) {
        child.stdin.write(answer.typed);
        answer = undefined;
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code: code ?? 1, output });
    });
  });
}

/** The recap of a --json run: the stats of its recap event. */
function jsonRecap(stdout: string): Record<string, Record<string, number>> {
  return jsonEvents(stdout).find((e) => e.kind === 'recap')?.stats ?? {};
}

export async function runIn(mode: Mode, args: string[], env: Record<string, string> = {}): Promise<ModeRun> {
  if (mode === 'tty') {
    const run = await onTerminal(args);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences start with ESC
    const text = run.output.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
    return { code: run.code, output: text, recap: recap(text) };
  }
  const run = await engine(mode === 'json' ? [...args, '--json'] : args, env);
  const output = run.stdout + run.stderr;
  return { code: run.code, output, recap: mode === 'json' ? jsonRecap(run.stdout) : recap(run.stdout) };
}
