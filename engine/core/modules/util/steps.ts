// Shorthands for the steps plans return most: one command, or one program with its arguments.
import { argvToShell } from '../../connection/quote';
import type { RunStep, WriteStep } from '../types';

export function runStep(script: string, what?: string): RunStep {
  return { kind: 'run', script, what };
}

/** A program and its arguments, each quoted: nothing in them is read by a shell. */
export function argvStep(argv: string[]): RunStep {
  return { kind: 'run', script: argvToShell(argv) };
}

export function writeStep(path: string, content: Buffer, options: Omit<WriteStep, 'kind' | 'path' | 'content'> = {}): WriteStep {
  return { kind: 'write', path, content, ...options };
}
