/**
 * The bulk engine: probes the domains of a list with bounded concurrency and hands back each
 * DomainResult as soon as it is ready. Domains are pulled from the list only when a slot is
 * free, so at most `concurrency` domains are in memory at once, however long the list.
 */
import pLimit from 'p-limit';
import { errorInfo, UsageError } from '../errors.js';
import { SCAN_SCHEMA, type DomainResult } from '../probe/types.js';

/** Probes one domain; a bulk scan passes probeDomain with its shared host pool bound in. */
export type ProbeDomainFn = (domain: string, signal: AbortSignal) => Promise<DomainResult>;

/** Options of scanDomains. */
export interface ScanDomainsOptions {
  probeDomain: ProbeDomainFn;
  /** Domains probed at the same time. Default 32. */
  concurrency?: number;
  /**
   * Stops the scan: no new domain is started, probes in flight are told to stop, and results
   * that finish after the abort are dropped (they would hold the abort's errors, not the
   * server's answer), so a resumed run probes those domains again.
   */
  signal?: AbortSignal;
  /** Clock for `checkedAt` of results made from a thrown error. Default Date.now. */
  now?: () => number;
}

/** Domains probed at the same time unless `concurrency` says otherwise. */
export const DEFAULT_CONCURRENCY = 32;

/**
 * Scans `domains` and yields each result as it finishes (not in list order). A probe that
 * throws becomes a result with verdict "error", so one broken domain never ends the run.
 * Ends early, without error, when the signal aborts; the caller checks `signal.aborted`.
 */
export async function* scanDomains(
  domains: AsyncIterable<string> | Iterable<string>,
  options: ScanDomainsOptions,
): AsyncGenerator<DomainResult> {
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new UsageError(`Cannot scan: concurrency must be a positive integer, not ${concurrency}`);
  }
  const now = options.now ?? Date.now;
  const outer = options.signal;
  // An own controller, so that leaving the loop early also stops the probes in flight.
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(outer?.reason);
  outer?.addEventListener('abort', onAbort, { once: true });
  if (outer?.aborted) onAbort();
  const signal = controller.signal;

  const limit = pLimit(concurrency);
  const iterator = toAsyncIterator(domains);
  const ready: DomainResult[] = [];
  let failure: { error: unknown } | undefined;
  let exhausted = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  signal.addEventListener('abort', notify, { once: true });

  // Counted here rather than read from the limiter, so that a task is no longer counted by
  // the time it wakes the loop.
  let running = 0;
  const start = (domain: string): void => {
    running += 1;
    void limit(async () => {
      const startedAt = now();
      let result: DomainResult;
      try {
        result = await options.probeDomain(domain, signal);
      } catch (error) {
        result = errorResult(domain, error, startedAt, now());
      }
      if (!signal.aborted) ready.push(result);
    }).finally(() => {
      running -= 1;
      notify();
    });
  };

  try {
    while (true) {
      // Fill free slots; results not yet taken by the consumer count as busy slots, so a
      // slow consumer slows the scan instead of piling results up in memory.
      while (!exhausted && !signal.aborted && running + ready.length < concurrency) {
        let next: IteratorResult<string>;
        try {
          next = await iterator.next();
        } catch (error) {
          failure = { error };
          exhausted = true;
          break;
        }
        if (next.done) exhausted = true;
        else start(next.value);
      }
      // One result at a time, then back to filling: the slot it held is free again.
      const result = ready.shift();
      if (result !== undefined) {
        yield result;
        continue;
      }
      // Nothing ready and nothing running: the list is done, failed or the scan aborted.
      if (running === 0) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    if (failure && !signal.aborted) throw failure.error;
  } finally {
    outer?.removeEventListener('abort', onAbort);
    if (!exhausted) await iterator.return?.();
    if (!signal.aborted && running > 0) controller.abort();
  }
}

/** A DomainResult for a domain whose probe threw instead of returning a result. */
export function errorResult(
  domain: string,
  error: unknown,
  startedAt: number,
  endedAt: number,
): DomainResult {
  const info = errorInfo(error);
  return {
    schema: SCAN_SCHEMA,
    domain,
    checkedAt: new Date(startedAt).toISOString(),
    verdict: 'error',
    detail: `The probe failed: ${info.message}`,
    dns: { outcome: 'error', resolver: '', error: info },
    flags: [],
    exchanges: [],
    durationMs: Math.max(0, endedAt - startedAt),
  };
}

function toAsyncIterator<T>(source: AsyncIterable<T> | Iterable<T>): AsyncIterator<T> {
  if (Symbol.asyncIterator in source) return source[Symbol.asyncIterator]();
  const sync = source[Symbol.iterator]();
  return {
    next: async () => sync.next(),
    return: async () => sync.return?.() ?? { done: true, value: undefined },
  };
}
