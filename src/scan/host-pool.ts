/**
 * One probe per MX address per run. Large providers receive mail for thousands of domains on
 * the same few addresses; a bulk scan probes each of them once, shares the result between the
 * domains, and keeps the number of connections to one address and to one provider small, so
 * that the scanner stays polite and is not rate-limited.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { getDomain } from 'tldts';
import { UsageError } from '../errors.js';
import type { HostProbeOptions, HostTarget } from '../probe/options.js';
import type { HostResult } from '../probe/types.js';

/** The signature of `probeHost` in src/probe/host.ts. */
export type ProbeHostFn = (target: HostTarget, options: HostProbeOptions) => Promise<HostResult>;

/** Options of createHostPool. */
export interface HostPoolOptions {
  /** Probes one address; the pool calls it at most once per host, address and port. */
  probeHost: ProbeHostFn;
  /** Connections open at the same time to one address and port. Default 1. */
  perAddress?: number;
  /** Connections open at once to one provider (registrable domain of the MX). Default 8. */
  perProvider?: number;
}

/** Counters of a pool, for the run summary and for tests. */
export interface HostPoolStats {
  /** Calls to the wrapped probeHost. */
  probes: number;
  /** Requests answered from the cache or from a probe already in flight. */
  shared: number;
  /** Distinct host, address and port entries in the cache. */
  entries: number;
}

/** A probeHost that shares results, for `DomainProbeOptions.probeHost`. */
export interface HostPool {
  probeHost: ProbeHostFn;
  stats(): HostPoolStats;
  /**
   * Settles once every connection the pool opened so far is closed. A result is handed out
   * as soon as QUIT is sent, so a run awaits this before it counts as finished.
   */
  settled(): Promise<void>;
}

/** Connections at once to one address unless `perAddress` says otherwise. */
export const DEFAULT_PER_ADDRESS = 1;
/** Connections at once to one provider unless `perProvider` says otherwise. */
export const DEFAULT_PER_PROVIDER = 8;

/**
 * The provider an MX host belongs to: its registrable domain (`mx1.mail.example.co.uk` →
 * `example.co.uk`), or the host itself when it has none (an address literal, a bare label).
 */
export function providerOf(host: string): string {
  return getDomain(host) ?? host;
}

/**
 * Creates a pool. The cache keeps one settled HostResult (without its transcript) per distinct
 * host, address and port for the life of the pool, i.e. one run: it grows with the number of
 * distinct MX addresses, not with the number of domains. Results are keyed by host name as
 * well as address because the name decides SNI and the certificate name check. The limiters
 * are keyed by address and by provider and live as long as the cache.
 */
export function createHostPool(options: HostPoolOptions): HostPool {
  const perAddress = positive(options.perAddress, DEFAULT_PER_ADDRESS, 'perAddress');
  const perProvider = positive(options.perProvider, DEFAULT_PER_PROVIDER, 'perProvider');
  const results = new Map<string, Promise<HostResult>>();
  const addressLimits = new Map<string, LimitFunction>();
  const providerLimits = new Map<string, LimitFunction>();
  let probes = 0;
  let shared = 0;
  const closing = new Set<Promise<void>>();

  function limiter(map: Map<string, LimitFunction>, key: string, size: number): LimitFunction {
    let limit = map.get(key);
    if (!limit) {
      limit = pLimit(size);
      map.set(key, limit);
    }
    return limit;
  }

  function probeHost(target: HostTarget, probeOptions: HostProbeOptions): Promise<HostResult> {
    const addressKey = `${target.address}|${target.port}`;
    const key = `${target.host}|${addressKey}`;
    const cached = results.get(key);
    if (cached) {
      shared += 1;
      return cached;
    }
    const byAddress = limiter(addressLimits, addressKey, perAddress);
    const byProvider = limiter(providerLimits, providerOf(target.host), perProvider);
    // The address slot is taken first: a task waiting for its provider then holds only a slot
    // of its own address, which no other task could have used anyway.
    // The result is handed out as soon as the probe has it, but both slots stay taken until
    // its connections are closed, so that the goodbye of one probe never overlaps the next.
    const promise = new Promise<HostResult>((resolve, reject) => {
      void byAddress(() =>
        byProvider(async () => {
          probes += 1;
          let closed: Promise<void> = Promise.resolve();
          const onClosing = (connections: Promise<void>): void => {
            closed = connections;
            closing.add(connections);
            void connections.finally(() => closing.delete(connections));
          };
          try {
            resolve(withoutTranscript(await options.probeHost(target,
              { ...probeOptions, onClosing })));
          } catch (error) {
            reject(error);
          }
          await closed;
        }),
      );
    });
    results.set(key, promise);
    return promise;
  }

  return {
    probeHost,
    stats: () => ({ probes, shared, entries: results.size }),
    settled: async () => {
      await Promise.all(closing);
    },
  };
}

function withoutTranscript(result: HostResult): HostResult {
  if (result.transcript === undefined) return result;
  const copy = { ...result };
  delete copy.transcript;
  return copy;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new UsageError(`Cannot share probes: ${name} must be a positive integer, not ${value}`);
  }
  return value;
}
