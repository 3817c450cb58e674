/**
 * Saved probe results for `--results FILE`: the JSON Lines of `mxtls scan --json` (one
 * DomainResult per line) or a nightly run file (`mxtls.run/1` header, results, summary). They
 * are indexed by domain and by MX host name, so that a hop's receiver can be looked up by the
 * name a Received field gives it.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { InputError } from '../errors.js';
import { readRun, RUN_SCHEMA } from '../scan/results-store.js';
import { SCAN_SCHEMA, type DomainResult, type ExchangeResult } from '../probe/types.js';

/** One exchange as saved, with the time its domain was probed. */
export interface SavedExchange {
  exchange: ExchangeResult;
  checkedAt: string;
}

/** Saved results, looked up by name. */
export interface SavedResults {
  file: string;
  /** Domains in the file. */
  domains: number;
  /** The newest saved result of a domain. */
  domain(name: string): DomainResult | undefined;
  /** The newest saved probe of an MX host, across every domain whose MX set holds it. */
  host(name: string): SavedExchange | undefined;
}

/** Lines longer than this are not results; a DomainResult of 20 exchanges is far smaller. */
const MAX_LINE_CHARS = 16 * 1024 * 1024;

/**
 * Reads a saved scan or run file. Throws InputError when the file cannot be read, or when a
 * line is neither JSON nor a DomainResult.
 */
export async function readSavedResults(file: string): Promise<SavedResults> {
  const byDomain = new Map<string, DomainResult>();
  const byHost = new Map<string, SavedExchange>();
  const take = (result: DomainResult): void => {
    const slim = slimResult(result);
    const domain = key(slim.domain);
    if (isNewer(slim.checkedAt, byDomain.get(domain)?.checkedAt)) byDomain.set(domain, slim);
    for (const exchange of slim.exchanges) {
      const host = key(exchange.host);
      if (isNewer(slim.checkedAt, byHost.get(host)?.checkedAt)) {
        byHost.set(host, { exchange, checkedAt: slim.checkedAt });
      }
    }
  };

  const first = await readFirstLine(file);
  if (isRunHeader(first)) {
    await readRun(file, take);
  } else {
    await readScanLines(file, take);
  }
  return {
    file,
    domains: byDomain.size,
    domain: (name) => byDomain.get(key(name)),
    host: (name) => byHost.get(key(name)),
  };
}

async function readScanLines(file: string, take: (r: DomainResult) => void): Promise<void> {
  let lineNumber = 0;
  const lines = createInterface({ input: openStream(file), crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      lineNumber += 1;
      if (line.trim() === '') continue;
      if (line.length > MAX_LINE_CHARS) {
        throw new InputError(`Cannot read "${file}": line ${lineNumber} is too long`);
      }
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        throw new InputError(`Cannot read "${file}": line ${lineNumber} is not JSON`);
      }
      if (!isDomainResult(record)) {
        throw new InputError(
          `Cannot read "${file}": line ${lineNumber} is not a "${SCAN_SCHEMA}" result`,
        );
      }
      take(record);
    }
  } catch (error) {
    throw asInputError(file, error);
  } finally {
    lines.close();
  }
}

async function readFirstLine(file: string): Promise<unknown> {
  const lines = createInterface({ input: openStream(file), crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        return undefined;
      }
    }
  } catch (error) {
    throw asInputError(file, error);
  } finally {
    lines.close();
  }
  throw new InputError(`Cannot read "${file}": the file is empty`);
}

function openStream(file: string): NodeJS.ReadableStream {
  // Errors of the stream surface through the readline iterator.
  return createReadStream(file, { encoding: 'utf8' });
}

function asInputError(file: string, error: unknown): InputError {
  if (error instanceof InputError) return error;
  const code = (error as { code?: string }).code ?? 'unreadable';
  return new InputError(`Cannot read "${file}": ${code}`, error);
}

function isRunHeader(record: unknown): boolean {
  const r = record as { schema?: unknown; type?: unknown } | null | undefined;
  return !!r && r.schema === RUN_SCHEMA && r.type === 'run';
}

function isDomainResult(record: unknown): record is DomainResult {
  const r = record as Partial<DomainResult> | null;
  return !!r && r.schema === SCAN_SCHEMA && typeof r.domain === 'string' &&
    typeof r.checkedAt === 'string' && Array.isArray(r.exchanges);
}

/** Drops what compare never reads (transcripts, certificate bytes), to bound memory. */
function slimResult(result: DomainResult): DomainResult {
  const exchanges = (Array.isArray(result.exchanges) ? result.exchanges : [])
    .filter((e) => typeof e?.host === 'string')
    .map((e) => ({
      ...e,
      hosts: (Array.isArray(e.hosts) ? e.hosts : []).map((h) => {
        const { transcript: _transcript, ...rest } = h;
        if (!rest.tls) return rest;
        return { ...rest, tls: { ...rest.tls, chain: rest.tls.chain?.slice(0, 1) ?? [] } };
      }),
    }));
  return { ...result, exchanges };
}

function isNewer(candidate: string, existing: string | undefined): boolean {
  return existing === undefined || Date.parse(candidate) >= Date.parse(existing);
}

function key(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}
