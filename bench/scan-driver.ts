/**
 * A stand-in for `mxtls scan --file LIST --json` while the CLI has no bulk scan: the same
 * library pieces the bulk scanner is built from (streaming list reader, resolver, shared host
 * pool, bounded-concurrency scanner), one JSON line per domain on stdout.
 *   node scan-driver.js LIST RESOLVER CA_FILE CONCURRENCY
 * It uses src/probe/domain.ts's probeDomain once that exists, else a minimal domain probe of
 * its own (resolve the MX plan, probe every address through the pool).
 */
import { readFileSync } from 'node:fs';

import { createResolver } from '../src/dns/resolver.js';
import { resolveMailHosts } from '../src/dns/mx.js';
import type { Resolver } from '../src/dns/types.js';
import { probeHost } from '../src/probe/host.js';
import type { DomainProbeOptions } from '../src/probe/options.js';
import { SCAN_SCHEMA, type DomainResult, type ExchangeResult } from '../src/probe/types.js';
import { scanDomains } from '../src/scan/bulk.js';
import { openDomainList, readDomainList } from '../src/scan/domain-list.js';
import { createHostPool } from '../src/scan/host-pool.js';

type ProbeDomain = (domain: string, options: DomainProbeOptions) => Promise<DomainResult>;

/** probeDomain from the library when a colleague has written it; undefined until then. */
async function libraryProbeDomain(): Promise<ProbeDomain | undefined> {
  // A computed specifier, so that this file compiles before src/probe/domain.ts exists.
  const specifier = new URL('../src/probe/domain.js', import.meta.url).href;
  try {
    const module = (await import(specifier)) as { probeDomain?: ProbeDomain };
    return module.probeDomain;
  } catch {
    return undefined;
  }
}

/** The driver's own domain probe: every address of every exchange, verdict from the hosts. */
async function minimalProbeDomain(domain: string, options: DomainProbeOptions):
Promise<DomainResult> {
  const started = Date.now();
  const plan = await resolveMailHosts(domain, options.resolver as Resolver);
  const probe = options.probeHost ?? probeHost;
  const exchanges: ExchangeResult[] = await Promise.all(plan.exchanges.map(async (e) => ({
    host: e.host,
    preference: e.preference,
    implicit: e.implicit,
    addressOutcome: e.addressOutcome,
    hosts: await Promise.all(e.addresses.map((a) => probe(
      { host: e.host, address: a.address, family: a.family, port: options.port ?? 25 },
      options,
    ))),
  })));
  const hosts = exchanges.flatMap((e) => e.hosts);
  const verified = hosts.length > 0 && hosts.every((h) =>
    h.outcome === 'tls' && h.tls?.certificate.summary === 'verified');
  return {
    schema: SCAN_SCHEMA,
    domain: plan.domain,
    checkedAt: new Date(started).toISOString(),
    verdict: verified ? 'verified-tls' : hosts.length === 0 ? 'error' : 'partial',
    detail: verified ? 'Every MX address offers verified TLS' : 'Not every MX verified',
    dns: { outcome: plan.outcome, resolver: options.resolver.server },
    flags: plan.flags,
    exchanges,
    durationMs: Date.now() - started,
  };
}

async function main(): Promise<void> {
  const [list, server, caFile, concurrency] = process.argv.slice(2) as string[];
  const probeDomain = (await libraryProbeDomain()) ?? minimalProbeDomain;
  const resolver = createResolver({ server });
  // The fleet is one provider (fleet.test) to the pool: its politeness limit is lifted to the
  // scan's concurrency, as the CLI's --per-provider does, so the comparison is at equal load.
  const pool = createHostPool({ probeHost, perProvider: Number(concurrency) });
  const ca = readFileSync(caFile as string);
  const results = scanDomains(readDomainList(openDomainList(list as string, process.stdin)), {
    concurrency: Number(concurrency),
    probeDomain: (domain, signal) =>
      probeDomain(domain, { resolver, ca, signal, probeHost: pool.probeHost }),
  });
  for await (const result of results) {
    const line = JSON.stringify(result) + '\n';
    // Respect the pipe's backpressure, as the CLI must, instead of buffering every line.
    if (!process.stdout.write(line)) {
      await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
    }
  }
  process.stderr.write(`scan-driver: ${JSON.stringify(pool.stats())}\n`);
}

void main();
