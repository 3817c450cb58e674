/**
 * Runs one measured command: wall time from spawn to exit, the peak resident memory of the
 * largest single process (GNU time's "Maximum resident set size") and the peak of the sum over
 * the whole process tree (sampled from /proc), which is what a pool of 32 posttls-finger
 * processes really costs. Every run has a deadline after which its tree is killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';

import { statusField } from './lab.js';

export interface MeasureOptions {
  /** The command and its arguments, run under `/usr/bin/time -v`. */
  command: string[];
  /** Where GNU time writes its report. */
  timeFile: string;
  /** Kill the tree after this many ms. */
  deadlineMs: number;
  /** Every chunk of the command's stdout; default: stdout is thrown away. */
  onStdout?: (chunk: Buffer) => void;
  /** Send stdout straight to this file instead (as `> file` would); wins over `onStdout`. */
  stdoutFile?: string;
  /** Keep at most this many bytes of stderr for the report. Default 64 KiB. */
  stderrLimit?: number;
  env?: NodeJS.ProcessEnv;
  /** Interval of the /proc sampler in ms. Default 100. */
  sampleMs?: number;
}

export interface Measurement {
  wallMs: number;
  exitCode: number | null;
  /** GNU time: the largest single process, KiB. */
  maxRssKib: number;
  /** The sampled peak of the whole tree's VmRSS sum, KiB. */
  treeRssKib: number;
  /** User + system CPU seconds of the tree, from GNU time. */
  cpuSeconds: number;
  stderr: string;
  timedOut: boolean;
}

let current: ChildProcess | undefined;

/** Kills the measured command in progress, if any (for the SIGINT handler). */
export function killCurrent(): void {
  if (current?.pid !== undefined && current.exitCode === null) killTree(current.pid);
}

/** Runs the command and measures it; resolves when it has exited. */
export async function measure(options: MeasureOptions): Promise<Measurement> {
  const sampleMs = options.sampleMs ?? 100;
  const limit = options.stderrLimit ?? 65_536;
  rmSync(options.timeFile, { force: true });
  const started = performance.now();
  const fd = options.stdoutFile === undefined ? undefined : openSync(options.stdoutFile, 'w');
  const stdout = fd ?? (options.onStdout ? 'pipe' : 'ignore');
  const child = spawn('/usr/bin/time', ['-v', '-o', options.timeFile, ...options.command], {
    stdio: ['ignore', stdout, 'pipe'],
    env: options.env ?? process.env,
  });
  if (fd !== undefined) closeSync(fd);
  current = child;
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < limit) stderr += chunk.toString('utf8').slice(0, limit - stderr.length);
  });
  if (fd === undefined && options.onStdout) child.stdout?.on('data', options.onStdout);

  let treeRssKib = 0;
  const sampler = setInterval(() => {
    if (child.pid !== undefined) treeRssKib = Math.max(treeRssKib, treeRss(child.pid));
  }, sampleMs);
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    if (child.pid !== undefined) killTree(child.pid);
  }, options.deadlineMs);

  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    // 'close' waits for stdout to drain, so every result line has been counted.
    child.once('close', (code) => resolve(code));
  }).finally(() => {
    clearInterval(sampler);
    clearTimeout(deadline);
    current = undefined;
  });
  const wallMs = performance.now() - started;
  const report = readText(options.timeFile);
  return {
    wallMs,
    exitCode,
    maxRssKib: timeField(report, 'Maximum resident set size \\(kbytes\\)'),
    treeRssKib,
    cpuSeconds: timeField(report, 'User time \\(seconds\\)') +
      timeField(report, 'System time \\(seconds\\)'),
    stderr,
    timedOut,
  };
}

/** The pids of a process and all its descendants, from /proc/PID/task/PID/children. */
export function descendants(pid: number, found: number[] = []): number[] {
  found.push(pid);
  // Bounded: a tree deeper than the limit is not one this benchmark started.
  if (found.length > 4096) return found;
  for (const child of readText(`/proc/${pid}/task/${pid}/children`).split(' ')) {
    const n = Number(child);
    if (child !== '' && Number.isInteger(n)) descendants(n, found);
  }
  return found;
}

function treeRss(pid: number): number {
  let sum = 0;
  for (const p of descendants(pid)) sum += statusField(p, 'VmRSS');
  return sum;
}

/** Sends SIGKILL to a process and every descendant, leaves first. */
export function killTree(pid: number): void {
  for (const p of descendants(pid).reverse()) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

function timeField(report: string, label: string): number {
  const match = new RegExp(`${label}: ([0-9.]+)`).exec(report);
  return match ? Number(match[1]) : 0;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
