/**
 * Run files: one JSON Lines file per run, named by the run's start time. The first line is a
 * run header, then one DomainResult per line in the order they finished, then a summary line.
 * A run is written as `<name>.partial` and renamed to `<name>.jsonl` only after its summary is
 * on disk, so a file under a final name is always complete and a crash leaves only a
 * `.partial` that `--resume` can continue.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, stat, truncate, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InputError, MxtlsError } from '../errors.js';
import type { DomainResult } from '../probe/types.js';
import type { RunSummary } from './summary.js';

/** The schema name of run files' header, resumed and summary lines. */
export const RUN_SCHEMA = 'mxtls.run/1';

/** The first line of a run file. */
export interface RunHeader {
  schema: typeof RUN_SCHEMA;
  type: 'run';
  /** ISO 8601 start of the run. */
  startedAt: string;
  /** The options the run was started with (concurrency, limits, expiry days, ...). */
  options: Record<string, unknown>;
  /** Where the domains came from: a path, or `-` for stdin. */
  input: { file: string };
}

/** Written when an interrupted run is continued, before the first new result. */
export interface RunResumedLine {
  schema: typeof RUN_SCHEMA;
  type: 'resumed';
  at: string;
}

/** The last line of a complete run file. */
export interface RunSummaryLine {
  schema: typeof RUN_SCHEMA;
  type: 'summary';
  finishedAt: string;
  summary: RunSummary;
}

/** A run file found in a results directory. */
export interface RunFile {
  path: string;
  /** The start time part of the name, e.g. `2026-12-03T020000Z`. */
  name: string;
  /** True for `.jsonl` (renamed into place after the summary), false for `.partial`. */
  complete: boolean;
}

const COMPLETE_EXT = '.jsonl';
const PARTIAL_EXT = '.partial';
const NAME = /^\d{4}-\d{2}-\d{2}T\d{6}Z(?:-\d+)?$/;

/** The file name stem for a run started at `date`: `2026-12-03T020000Z` (UTC). */
export function runName(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '');
}

/** The final path of a run file, from its partial or final path. */
export function completePathOf(path: string): string {
  return path.endsWith(PARTIAL_EXT) ? path.slice(0, -PARTIAL_EXT.length) + COMPLETE_EXT : path;
}

/**
 * Appends results to a `.partial` run file. Lines are written in batches: results that arrive
 * while a write is under way go out together in the next write, one system call per batch.
 */
export class RunWriter {
  /** The `.partial` file being written. */
  readonly path: string;
  readonly #handle: FileHandle;
  #pending: string[] = [];
  #draining: Promise<void> | undefined;
  #closed = false;

  /** Use createRun or resumeRun. */
  constructor(path: string, handle: FileHandle) {
    this.path = path;
    this.#handle = handle;
  }

  /** The name the file gets once complete. */
  get finalPath(): string {
    return completePathOf(this.path);
  }

  /** Queues one line of JSON; resolves once it has been handed to the operating system. */
  append(record: DomainResult | RunHeader | RunResumedLine): Promise<void> {
    if (this.#closed) {
      const message = `Cannot append to "${this.path}": closed`;
      return Promise.reject(new MxtlsError('MXTLS_RESULTS', message));
    }
    this.#pending.push(`${JSON.stringify(record)}\n`);
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = undefined;
    });
    return this.#draining;
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      const chunk = this.#pending.join('');
      this.#pending = [];
      try {
        await this.#handle.write(chunk);
      } catch (error) {
        throw resultsError(`Cannot write "${this.path}"`, error);
      }
    }
  }

  /**
   * Writes the summary line, flushes the file to disk and renames it to its final name.
   * Returns the final path.
   */
  async complete(summary: RunSummary, finishedAt: Date): Promise<string> {
    const line: RunSummaryLine = {
      schema: RUN_SCHEMA,
      type: 'summary',
      finishedAt: finishedAt.toISOString(),
      summary,
    };
    this.#pending.push(`${JSON.stringify(line)}\n`);
    await this.close();
    const finalPath = this.finalPath;
    try {
      await rename(this.path, finalPath);
      await syncDirectory(dirname(finalPath));
    } catch (error) {
      throw resultsError(`Cannot rename "${this.path}" to "${basename(finalPath)}"`, error);
    }
    return finalPath;
  }

  /** Flushes and closes the file and leaves it as `.partial` (an interrupted run). */
  async close(): Promise<void> {
    if (this.#closed) return;
    await (this.#draining ?? this.#drain());
    await this.#drain();
    this.#closed = true;
    try {
      await this.#handle.sync();
    } finally {
      await this.#handle.close();
    }
  }
}

/**
 * Starts a run file in `dir` (created if missing) and writes its header. When a run of the
 * same second exists already, the name gets a `-1`, `-2`, ... suffix.
 */
export async function createRun(dir: string, header: RunHeader): Promise<RunWriter> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    // The user's --out: a path that cannot be a directory is bad input (exit 2), not a bug.
    throw inputError(`Cannot create the results directory "${dir}"`, error);
  }
  const stem = runName(new Date(header.startedAt));
  for (let n = 0; n < 1000; n += 1) {
    const name = n === 0 ? stem : `${stem}-${n}`;
    if (await exists(join(dir, name + COMPLETE_EXT))) continue;
    const path = join(dir, name + PARTIAL_EXT);
    let handle: FileHandle;
    try {
      handle = await open(path, 'wx');
    } catch (error) {
      if ((error as { code?: string }).code === 'EEXIST') continue;
      throw inputError(`Cannot create "${path}"`, error);
    }
    const writer = new RunWriter(path, handle);
    await writer.append(header);
    return writer;
  }
  throw new MxtlsError('MXTLS_RESULTS', `Cannot create a run file in "${dir}": too many runs`);
}

/** What a resumed run already holds. */
export interface ResumedRun {
  writer: RunWriter;
  header: RunHeader;
  /** Domains with a result in the file; the resumed run skips them. */
  done: Set<string>;
  /** Lines dropped from the end because they were cut off. */
  droppedBytes: number;
}

/**
 * Reopens a `.partial` run file for appending. A last line that was cut off by a crash is
 * removed from the file (its domain is probed again); a damaged line anywhere else is an
 * InputError. `onResult` sees every result already in the file, e.g. to rebuild the summary.
 */
export async function resumeRun(
  path: string,
  onResult?: (result: DomainResult) => void,
): Promise<ResumedRun> {
  if (!path.endsWith(PARTIAL_EXT)) {
    throw new InputError(`Cannot resume "${path}": not a .partial run file`);
  }
  const done = new Set<string>();
  const scan = await scanRunFile(path, (result) => {
    done.add(result.domain);
    onResult?.(result);
  });
  if (scan.summary) {
    throw new InputError(`Cannot resume "${path}": the run is already complete`);
  }
  let needsNewline = false;
  if (scan.tail !== undefined) {
    if (scan.tail.record) {
      needsNewline = true;
    } else {
      await truncate(path, scan.goodBytes);
    }
  }
  const handle = await open(path, 'a');
  if (needsNewline) await handle.write('\n');
  const writer = new RunWriter(path, handle);
  await writer.append({ schema: RUN_SCHEMA, type: 'resumed', at: new Date().toISOString() });
  return {
    writer,
    header: scan.header,
    done,
    droppedBytes: scan.tail && !scan.tail.record ? scan.tail.bytes : 0,
  };
}

/** A run file read through: header, summary when complete. */
export interface RunContents {
  path: string;
  header: RunHeader;
  summary?: RunSummaryLine;
  /** Results in the file. */
  results: number;
}

/**
 * Reads a run file, handing each DomainResult to `onResult` as it is read (results are not
 * kept). With `requireComplete`, a file without its summary line is an InputError.
 */
export async function readRun(
  path: string,
  onResult: (result: DomainResult) => void,
  options: { requireComplete?: boolean } = {},
): Promise<RunContents> {
  const scan = await scanRunFile(path, onResult);
  if (options.requireComplete && (!scan.summary || scan.tail)) {
    throw new InputError(`Cannot read "${path}": the run is incomplete (no summary line)`);
  }
  return { path, header: scan.header, summary: scan.summary, results: scan.results };
}

/** The run files of a directory, oldest first; a missing directory has none. */
export async function listRuns(dir: string): Promise<RunFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return [];
    throw resultsError(`Cannot list "${dir}"`, error);
  }
  const runs: RunFile[] = [];
  for (const file of names) {
    const complete = file.endsWith(COMPLETE_EXT);
    if (!complete && !file.endsWith(PARTIAL_EXT)) continue;
    const name = file.slice(0, -(complete ? COMPLETE_EXT : PARTIAL_EXT).length);
    if (!NAME.test(name)) continue;
    runs.push({ path: join(dir, file), name, complete });
  }
  return runs.sort((a, b) => compareNames(a.name, b.name));
}

/** The newest complete run of `dir`, if any. */
export async function newestCompleteRun(dir: string): Promise<RunFile | undefined> {
  return (await listRuns(dir)).filter((run) => run.complete).at(-1);
}

/** The newest complete run of `dir` that started before the run at `path`. */
export async function previousCompleteRun(dir: string, path: string): Promise<RunFile | undefined> {
  const file = basename(path);
  const name = file.replace(/\.(jsonl|partial)$/, '');
  return (await listRuns(dir))
    .filter((run) => run.complete && compareNames(run.name, name) < 0)
    .at(-1);
}

/** The newest interrupted run of `dir`, if any. */
export async function newestPartialRun(dir: string): Promise<RunFile | undefined> {
  return (await listRuns(dir)).filter((run) => !run.complete).at(-1);
}

// Names sort by time; a `-N` suffix (two runs in one second) sorts by its number.
function compareNames(a: string, b: string): number {
  const [timeA = '', nA = '0'] = a.split('-').length > 3 ? splitSuffix(a) : [a, '0'];
  const [timeB = '', nB = '0'] = b.split('-').length > 3 ? splitSuffix(b) : [b, '0'];
  if (timeA !== timeB) return timeA < timeB ? -1 : 1;
  return Number(nA) - Number(nB);
}

function splitSuffix(name: string): [string, string] {
  const at = name.lastIndexOf('-');
  return [name.slice(0, at), name.slice(at + 1)];
}

interface RunScan {
  header: RunHeader;
  summary?: RunSummaryLine;
  results: number;
  /** Bytes up to the end of the last complete line. */
  goodBytes: number;
  /** A last line without its newline: parsed when it is whole JSON, else undefined. */
  tail?: { bytes: number; record?: unknown };
}

// Reads the file line by line as bytes, so that the end of the last whole line is known
// exactly: a resumed run cuts the file there.
async function scanRunFile(path: string, onResult: (r: DomainResult) => void): Promise<RunScan> {
  let header: RunHeader | undefined;
  let summary: RunSummaryLine | undefined;
  let results = 0;
  let goodBytes = 0;
  let lineNumber = 0;
  let rest: Buffer = Buffer.alloc(0);

  const take = (record: unknown): void => {
    lineNumber += 1;
    if (lineNumber === 1) {
      header = asHeader(record, path);
      return;
    }
    if (summary) throw new InputError(`Cannot read "${path}": lines after the summary`);
    const type = (record as { type?: unknown }).type;
    if (type === 'summary') summary = record as RunSummaryLine;
    else if (type === 'resumed') return;
    else if (isDomainResult(record)) {
      results += 1;
      onResult(record);
    } else throw new InputError(`Cannot read "${path}": line ${lineNumber} is not a result`);
  };

  try {
    for await (const chunk of createReadStream(path)) {
      let data = rest.length > 0 ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
      let newline = data.indexOf(0x0a);
      while (newline >= 0) {
        const line = data.subarray(0, newline);
        take(parseLine(line, path, lineNumber + 1));
        goodBytes += newline + 1;
        data = data.subarray(newline + 1);
        newline = data.indexOf(0x0a);
      }
      rest = Buffer.from(data);
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as { code?: string }).code ?? String(error);
    throw new InputError(`Cannot read "${path}": ${code}`, error);
  }

  let tail: RunScan['tail'];
  if (rest.length > 0) {
    tail = { bytes: rest.length };
    try {
      const record: unknown = JSON.parse(rest.toString('utf8'));
      take(record);
      tail.record = record;
    } catch (error) {
      if (error instanceof InputError) throw error;
      // A cut-off last line: the crash this file format is made for.
    }
  }
  if (!header) throw new InputError(`Cannot read "${path}": empty, no run header`);
  return { header, summary, results, goodBytes, tail };
}

function parseLine(line: Buffer, path: string, lineNumber: number): unknown {
  try {
    return JSON.parse(line.toString('utf8'));
  } catch {
    if (lineNumber === 1) {
      throw new InputError(`Cannot read "${path}": not an mxtls run file (line 1 is not JSON)`);
    }
    throw new InputError(`Cannot read "${path}": line ${lineNumber} is not JSON`);
  }
}

function asHeader(record: unknown, path: string): RunHeader {
  const header = record as Partial<RunHeader> | null;
  if (!header || header.schema !== RUN_SCHEMA || header.type !== 'run') {
    throw new InputError(
      `Cannot read "${path}": not an mxtls run file (no "${RUN_SCHEMA}" header)`,
    );
  }
  return header as RunHeader;
}

function isDomainResult(record: unknown): record is DomainResult {
  const r = record as Partial<DomainResult> | null;
  return !!r && typeof r.domain === 'string' && typeof r.verdict === 'string';
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  // A rename is durable only once the directory itself is flushed; some file systems refuse
  // to open a directory for that, and the rename has happened anyway.
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // The file itself was flushed before the rename; losing only the rename is acceptable.
  } finally {
    await handle?.close();
  }
}

function inputError(message: string, cause: unknown): InputError {
  const code = (cause as { code?: string }).code;
  return new InputError(code ? `${message}: ${code}` : message, cause);
}

function resultsError(message: string, cause: unknown): MxtlsError {
  const code = (cause as { code?: string }).code;
  return new MxtlsError('MXTLS_RESULTS', code ? `${message}: ${code}` : message, { cause });
}
