/**
 * One bulk run from list to run file: reads the list, scans it with a shared host pool, writes
 * each result to the run file as it finishes and completes the file with its summary. Both
 * `mxtls scan --file` and `mxtls watch` run scans through here.
 */
import { InputError, UsageError } from '../errors.js';
import type { DomainProbeOptions } from '../probe/options.js';
import type { DomainResult } from '../probe/types.js';
import { DEFAULT_CONCURRENCY, scanDomains } from './bulk.js';
import { readDomainList, type ListIssue } from './domain-list.js';
import { createHostPool, type HostPoolStats, type ProbeHostFn } from './host-pool.js';
import {
  RUN_SCHEMA,
  createRun,
  resumeRun,
  type RunHeader,
  type RunWriter,
} from './results-store.js';
import { DEFAULT_EXPIRY_DAYS, SummaryBuilder, type RunSummary } from './summary.js';

/** The signature of `probeDomain` in src/probe/domain.ts. */
export type ProbeDomainWithOptions = (
  domain: string,
  options: DomainProbeOptions,
) => Promise<DomainResult>;

/** What one run needs: where the list is, how to probe, where to write. */
export interface RunScanOptions {
  /**
   * Opens the partner list. For a resumed run it gets the header of the interrupted run, so
   * that it can reopen the same file.
   */
  openList: (resumed?: RunHeader) => NodeJS.ReadableStream | AsyncIterable<string>;
  /** The list's path (or `-`), recorded in the run header. */
  listFile: string;
  probeDomain: ProbeDomainWithOptions;
  probeHost: ProbeHostFn;
  /** Resolver, timeouts, CA and port of every probe; `probeHost` and `signal` are set here. */
  probe: DomainProbeOptions;
  /** Domains probed at the same time. Default 32. */
  concurrency?: number;
  /** Connections at the same time to one address. Default 1. */
  perAddress?: number;
  /** Connections at the same time to one provider. Default 8. */
  perProvider?: number;
  /** Days within which a certificate counts as expiring soon. Default 14. */
  expiryDays?: number;
  /** Where run files go; undefined means no run file (`--no-save`). */
  outDir?: string;
  /** A `.partial` run file to continue; results are appended to it and `outDir` is unused. */
  resume?: string;
  /** Other options worth recording in the run header. Default none. */
  recordOptions?: Record<string, unknown>;
  signal?: AbortSignal;
  /** Each result as it is written; awaited, so a slow consumer slows the scan. */
  onResult?: (result: DomainResult) => void | Promise<void>;
  onIssue?: (issue: ListIssue) => void;
  /** Called once the run file exists (or was reopened), with its path. */
  onStart?: (info: { path?: string; resumedDone: number }) => void;
  now?: () => Date;
}

/** How a run ended and what it found. */
export interface RunScanOutcome {
  /** The run file: its final name when complete, the `.partial` otherwise. */
  path?: string;
  complete: boolean;
  interrupted: boolean;
  /** The summary of every result in the run, resumed ones included. */
  summary: RunSummary;
  /** Domains probed by this call (not those done before a resume). */
  scanned: number;
  /** Domains whose results came from the interrupted run. */
  resumedDone: number;
  pool: HostPoolStats;
}

/**
 * Runs one scan. List and file errors throw (InputError, MxtlsError "MXTLS_RESULTS"); a
 * domain's probe failure is a result. On abort the run file is flushed and left `.partial`.
 */
export async function runScan(options: RunScanOptions): Promise<RunScanOutcome> {
  const now = options.now ?? (() => new Date());
  const expiryDays = options.expiryDays ?? DEFAULT_EXPIRY_DAYS;
  const summary = new SummaryBuilder(expiryDays);
  // Made before the run file, so that bad limits fail without leaving a file behind.
  const pool = createHostPool({
    probeHost: options.probeHost,
    perAddress: options.perAddress,
    perProvider: options.perProvider,
  });
  let writer: RunWriter | undefined;
  let done = new Set<string>();
  let resumedHeader: RunHeader | undefined;
  let list: AsyncIterable<string> | undefined;

  if (options.resume !== undefined) {
    const resumed = await resumeRun(options.resume, (result) => summary.add(result));
    writer = resumed.writer;
    done = resumed.done;
    resumedHeader = resumed.header;
  } else {
    // The first domain is read before the run file is made, so that an unreadable or empty
    // list leaves no run file behind for a later diff to compare with.
    const domains = readDomainList(options.openList(), { onIssue: options.onIssue });
    const first = await domains.next();
    if (first.done) throw new InputError(`Cannot scan "${options.listFile}": no domains in it`);
    list = prepend(first.value, domains);
  }
  if (options.resume === undefined && options.outDir !== undefined) {
    const header: RunHeader = {
      schema: RUN_SCHEMA,
      type: 'run',
      startedAt: now().toISOString(),
      options: {
        concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
        perAddress: options.perAddress ?? 1,
        perProvider: options.perProvider ?? 8,
        expiryDays,
        port: options.probe.port ?? 25,
        resolver: options.probe.resolver.server,
        ...options.recordOptions,
      },
      input: { file: options.listFile },
    };
    writer = await createRun(options.outDir, header);
  }
  const signal = options.signal ?? new AbortController().signal;
  let scanned = 0;
  try {
    options.onStart?.({ path: writer?.path, resumedDone: done.size });
    list ??= readDomainList(options.openList(resumedHeader), {
      onIssue: options.onIssue,
      skip: done,
    });
    const results = scanDomains(list, {
      concurrency: options.concurrency,
      signal,
      probeDomain: (domain, domainSignal) =>
        options.probeDomain(domain, {
          ...options.probe,
          probeHost: pool.probeHost,
          signal: domainSignal,
        }),
    });
    for await (const result of results) {
      scanned += 1;
      summary.add(result);
      await writer?.append(result);
      await options.onResult?.(result);
    }
  } catch (error) {
    await pool.settled();
    await writer?.close();
    throw error;
  }
  // The last goodbyes (each bounded by the QUIT wait) end before the run does.
  await pool.settled();

  const outcome = {
    summary: summary.summary(),
    scanned,
    resumedDone: done.size,
    pool: pool.stats(),
  };
  if (signal.aborted) {
    await writer?.close();
    return { ...outcome, path: writer?.path, complete: false, interrupted: true };
  }
  const path = await writer?.complete(outcome.summary, now());
  return { ...outcome, path, complete: true, interrupted: false };
}

async function* prepend(first: string, rest: AsyncIterator<string>): AsyncGenerator<string> {
  yield first;
  try {
    for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
  } finally {
    await rest.return?.();
  }
}

/** Checks the numeric bulk options, so that bad flags fail before anything is probed. */
export function checkRunOptions(options: {
  concurrency?: number;
  perAddress?: number;
  perProvider?: number;
  expiryDays?: number;
}): void {
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const min = name === 'expiryDays' ? 0 : 1;
    if (!Number.isInteger(value) || value < min) {
      throw new UsageError(`Cannot scan: --${kebab(name)} must be an integer of at least ${min}`);
    }
  }
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
