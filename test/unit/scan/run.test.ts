import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Resolver } from '../../../src/dns/types.js';
import type { HostTarget } from '../../../src/probe/options.js';
import { readRun } from '../../../src/scan/results-store.js';
import { runScan, type RunScanOptions } from '../../../src/scan/run.js';
import { domainResult, hostResult } from './make-results.js';

const resolver = { server: '127.0.0.1:53' } as unknown as Resolver;

/** Options whose probeDomain sends every domain through the pool to one shared MX. */
function options(list: string, extra: Partial<RunScanOptions> = {}) {
  const probed: string[] = [];
  const hostCalls: HostTarget[] = [];
  const scan: RunScanOptions = {
    listFile: 'partners.txt',
    openList: () => Readable.from([list]),
    probe: { resolver },
    probeHost: async (target) => {
      hostCalls.push(target);
      return hostResult({ host: target.host, address: target.address });
    },
    probeDomain: async (domain, probe) => {
      probed.push(domain);
      const target = { host: 'mx.big.test', address: '127.0.30.1', family: 4 as const, port: 25 };
      const host = await probe.probeHost?.(target, probe);
      expect(host?.host).toBe('mx.big.test');
      return domainResult(domain, { hosts: [{ host: 'mx.big.test' }] });
    },
    ...extra,
  };
  return { scan, probed, hostCalls };
}

describe('runScan', () => {
  it('writes a complete run, probing a shared MX address once for all domains', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'mxtls-run-'));
    const { scan, probed, hostCalls } = options('a.test\nb.test\nc.test\n', { outDir });
    const outcome = await runScan(scan);
    expect(outcome).toMatchObject({ complete: true, interrupted: false, scanned: 3 });
    expect(probed.sort()).toEqual(['a.test', 'b.test', 'c.test']);
    expect(hostCalls).toHaveLength(1);
    expect(outcome.pool).toEqual({ probes: 1, shared: 2, entries: 1 });
    expect(outcome.path?.endsWith('.jsonl')).toBe(true);
    const run = await readRun(outcome.path ?? '', () => {}, { requireComplete: true });
    expect(run.header.options).toMatchObject({ concurrency: 32, perAddress: 1, perProvider: 8 });
    expect(run.summary?.summary.domains).toBe(3);
  });

  it('refuses an empty list before making a run file', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'mxtls-run-'));
    const { scan } = options('# nothing here\n\n', { outDir });
    await expect(runScan(scan)).rejects.toThrow('Cannot scan "partners.txt": no domains in it');
    expect(existsSync(outDir) ? readdirSync(outDir) : []).toEqual([]);
  });

  it('resumes: skips done domains and summarises old and new results together', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'mxtls-run-'));
    const controller = new AbortController();
    const first = options('a.test\nb.test\nc.test\nd.test\n', {
      outDir,
      concurrency: 1,
      signal: controller.signal,
      onResult: (result) => {
        if (result.domain === 'b.test') controller.abort();
      },
    });
    const stopped = await runScan(first.scan);
    expect(stopped).toMatchObject({ complete: false, interrupted: true, scanned: 2 });
    expect(stopped.path?.endsWith('.partial')).toBe(true);

    const second = options('a.test\nb.test\nc.test\nd.test\n', { resume: stopped.path });
    const resumed = await runScan(second.scan);
    expect(second.probed.sort()).toEqual(['c.test', 'd.test']);
    expect(resumed).toMatchObject({ complete: true, scanned: 2, resumedDone: 2 });
    expect(resumed.summary.domains).toBe(4);
    expect(readdirSync(outDir).map((f) => f.replace(/^.*\./, ''))).toEqual(['jsonl']);
  });
});
