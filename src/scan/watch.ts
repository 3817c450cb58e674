/**
 * Scheduled scans: a cron pattern starts a run; each complete run is compared with the
 * previous complete run of the same directory, the diff is written beside the run file as
 * `<run>.diff.json`, and posted to a webhook when something got worse. Never two runs at once:
 * a tick that comes while a run is still going is skipped and logged.
 */
import { rename, writeFile } from 'node:fs/promises';
import { Cron } from 'croner';
import { UsageError, errorInfo } from '../errors.js';
import { diffRunFiles, type RunDiff } from './diff.js';
import { postNotification, type NotifyOptions, type NotifyOutcome } from './notify.js';
import { previousCompleteRun } from './results-store.js';
import type { RunScanOutcome } from './run.js';

/** A started schedule. */
export interface ScheduledJob {
  stop(): void;
  /** When the next tick is due, or null when there is none. */
  nextRun(): Date | null;
}

/** Starts ticks on a cron pattern; tests pass one they can fire by hand. */
export interface Scheduler {
  schedule(pattern: string, tick: () => void): ScheduledJob;
}

/** Checks a cron pattern (5 or 6 fields, croner syntax); throws UsageError when it is bad. */
export function checkCronPattern(pattern: string): void {
  try {
    new Cron(pattern, { paused: true }).stop();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`Cannot schedule "${pattern}": ${reason}`);
  }
}

/**
 * The scheduler of the CLI: croner, in the machine's time zone. Overlap protection is done by
 * the watcher, so that a skipped tick can be logged.
 */
export const cronScheduler: Scheduler = {
  schedule(pattern, tick) {
    checkCronPattern(pattern);
    const job = new Cron(pattern, () => tick());
    return { stop: () => job.stop(), nextRun: () => job.nextRun() };
  },
};

/** The diff file written beside a complete run file. */
export function diffPathOf(runPath: string): string {
  return runPath.replace(/\.jsonl$/, '') + '.diff.json';
}

/** What one scheduled run did. */
export interface WatchIteration {
  /** True when the tick was skipped because a run was still going. */
  skipped: boolean;
  run?: RunScanOutcome;
  /** The previous complete run the diff compares against. */
  previous?: string;
  diff?: RunDiff;
  diffPath?: string;
  notified?: NotifyOutcome;
  /** Why the run failed (an unreadable list, a full disk), when it did. */
  error?: string;
}

/** Options of createWatcher. */
export interface WatchOptions {
  /** Runs one scan writing into `dir`, stopping when the signal aborts. */
  scan: (signal: AbortSignal) => Promise<RunScanOutcome>;
  /** The results directory the scans write to. */
  dir: string;
  /** POST the diff here when something got worse. Default: no notification. */
  notifyUrl?: string;
  notify?: NotifyOptions;
  /** Days within which a certificate counts as expiring soon in the diff. Default 14. */
  expiryDays?: number;
  /** One line of diagnostics (the CLI writes them to stderr). */
  log: (line: string) => void;
  signal?: AbortSignal;
}

/** A watcher: runs on demand or on a schedule, one at a time. */
export interface Watcher {
  /** Runs one iteration now, or skips it when a run is going. */
  runOnce(): Promise<WatchIteration>;
  /** Starts the schedule; each tick calls runOnce. */
  start(pattern: string, scheduler?: Scheduler): ScheduledJob;
  /** Resolves when no run is going. */
  idle(): Promise<void>;
}

/** Creates a watcher. */
export function createWatcher(options: WatchOptions): Watcher {
  let current: Promise<WatchIteration> | undefined;
  const signal = options.signal ?? new AbortController().signal;

  async function iterate(): Promise<WatchIteration> {
    const iteration: WatchIteration = { skipped: false };
    try {
      iteration.run = await options.scan(signal);
    } catch (error) {
      iteration.error = errorInfo(error).message;
      options.log(`run failed: ${iteration.error}`);
      return iteration;
    }
    const run = iteration.run;
    if (!run.complete || run.path === undefined) {
      options.log(`run interrupted; partial results kept in ${run.path ?? '(not saved)'}`);
      return iteration;
    }
    try {
      await compareWithPrevious(run.path, iteration);
    } catch (error) {
      iteration.error = errorInfo(error).message;
      options.log(`cannot compare with the previous run: ${iteration.error}`);
    }
    return iteration;
  }

  async function compareWithPrevious(path: string, iteration: WatchIteration): Promise<void> {
    const previous = await previousCompleteRun(options.dir, path);
    if (!previous) {
      options.log(`first run in ${options.dir}: nothing to compare with`);
      return;
    }
    iteration.previous = previous.path;
    const diff = await diffRunFiles(previous.path, path, { expiryDays: options.expiryDays });
    iteration.diff = diff;
    iteration.diffPath = diffPathOf(path);
    await writeFileAtomically(iteration.diffPath, `${JSON.stringify(diff, null, 2)}\n`);
    const c = diff.counts;
    options.log(
      `compared with ${previous.name}: ${c.worse} worse, ${c.better} better, ` +
        `${c.unchecked} not checked, ${c.unchanged} unchanged, ${c.added} added, ` +
        `${c.removed} removed; diff in ${iteration.diffPath}`,
    );
    if (c.worse === 0 || options.notifyUrl === undefined) return;
    // TODO: the whole diff is posted, improvements and all; for a list of many thousand
    // domains with many changes the body can reach megabytes.
    iteration.notified = await postNotification(options.notifyUrl, diff, {
      signal,
      ...options.notify,
    });
    const n = iteration.notified;
    if (n.delivered) {
      options.log(`notified ${options.notifyUrl} (attempt ${n.attempts})`);
    } else {
      options.log(
        `cannot notify ${options.notifyUrl}: ${n.error ?? 'failed'} after ${n.attempts} ` +
          `attempts; the results and the diff are kept`,
      );
    }
  }

  function runOnce(): Promise<WatchIteration> {
    if (current) {
      options.log('skipped a scheduled run: the previous run is still going');
      return Promise.resolve({ skipped: true });
    }
    current = iterate().finally(() => {
      current = undefined;
    });
    return current;
  }

  return {
    runOnce,
    start(pattern, scheduler = cronScheduler) {
      return scheduler.schedule(pattern, () => {
        void runOnce();
      });
    },
    async idle() {
      await current;
    },
  };
}

async function writeFileAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.tmp`;
  await writeFile(temporary, text, { flush: true });
  await rename(temporary, path);
}
