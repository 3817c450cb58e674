/**
 * Where receiver evidence comes from: probes made now (`liveProbeSource`) or a saved scan
 * (`savedProbeSource`, for `--results FILE`). Both answer the same two questions, by host name
 * and by a domain's MX set, and each answer carries the time of its probe.
 */
import { errorInfo } from '../errors.js';
import { probeDomain, probeHostByName } from '../probe/domain.js';
import type { DomainProbeOptions } from '../probe/options.js';
import type { ExchangeResult } from '../probe/types.js';
import type { ProbedExchanges } from './receiver-evidence.js';
import type { SavedResults } from './saved-results.js';

/** Answers "what does this server, or this domain's MX set, do about TLS?". */
export interface ProbeSource {
  readonly kind: 'live' | 'saved';
  /** The DNS server a live source asks, for the report; null for a saved source. */
  readonly resolver: string | null;
  /** The saved file, for the report; null for a live source. */
  readonly file: string | null;
  /** The probe of one host by name; undefined when a saved source has no result for it. */
  host(name: string): Promise<ProbedExchanges | undefined>;
  /** The probe of a domain's MX set; undefined when a saved source has no result for it. */
  mx(domain: string): Promise<ProbedExchanges | undefined>;
}

/**
 * Probes now, through `options` (resolver, port, CA, HELO, timeouts). Each name is probed at
 * most once per source, however many hops name it.
 */
export function liveProbeSource(options: DomainProbeOptions): ProbeSource {
  const now = options.now ?? Date.now;
  const hosts = new Map<string, Promise<ProbedExchanges>>();
  const domains = new Map<string, Promise<ProbedExchanges>>();

  const probeName = async (name: string): Promise<ProbedExchanges> => {
    const checkedAt = new Date(now()).toISOString();
    try {
      const exchange = await probeHostByName(name, options);
      return { exchanges: [exchange], checkedAt, source: 'live' };
    } catch (error) {
      // probeHostByName reports DNS and SMTP failures in its result; this is anything else.
      return { exchanges: [failedExchange(name, error)], checkedAt, source: 'live' };
    }
  };
  const probeMx = async (domain: string): Promise<ProbedExchanges> => {
    const checkedAt = new Date(now()).toISOString();
    try {
      const result = await probeDomain(domain, options);
      return {
        exchanges: result.exchanges,
        checkedAt: result.checkedAt,
        source: 'live',
        lookupFailed: result.dns.outcome === 'error',
      };
    } catch (error) {
      return { exchanges: [failedExchange(domain, error)], checkedAt, source: 'live' };
    }
  };

  return {
    kind: 'live',
    resolver: options.resolver.server,
    file: null,
    host: (name) => memo(hosts, name, probeName),
    mx: (domain) => memo(domains, domain, probeMx),
  };
}

/** Looks receivers up in a saved scan or run file instead of probing. */
export function savedProbeSource(saved: SavedResults): ProbeSource {
  return {
    kind: 'saved',
    resolver: null,
    file: saved.file,
    host: async (name) => {
      const found = saved.host(name);
      if (!found) return undefined;
      return { exchanges: [found.exchange], checkedAt: found.checkedAt, source: 'saved' };
    },
    mx: async (domain) => {
      const found = saved.domain(domain);
      if (!found) return undefined;
      return {
        exchanges: found.exchanges,
        checkedAt: found.checkedAt,
        source: 'saved',
        lookupFailed: found.dns?.outcome === 'error',
      };
    },
  };
}

function memo<T>(cache: Map<string, Promise<T>>, name: string, run: (n: string) => Promise<T>):
Promise<T> {
  const key = name.toLowerCase().replace(/\.$/, '');
  let pending = cache.get(key);
  if (!pending) {
    pending = run(key);
    cache.set(key, pending);
  }
  return pending;
}

function failedExchange(name: string, error: unknown): ExchangeResult {
  return {
    host: name,
    preference: 0,
    implicit: false,
    addressOutcome: 'error',
    addressError: errorInfo(error),
    hosts: [],
  };
}
