import { describe, expect, it } from 'vitest';
import { createHostPool, providerOf } from '../../../src/scan/host-pool.js';
import type { HostTarget } from '../../../src/probe/options.js';
import { hostResult } from './make-results.js';

const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function target(host: string, address: string): HostTarget {
  return { host, address, family: 4, port: 25 };
}

/** A fake probeHost that counts calls and the peak of concurrent calls, overall and per key. */
function countingProbe(delayMs = 5) {
  const calls: HostTarget[] = [];
  const live = new Map<string, number>();
  const peak = new Map<string, number>();
  let liveTotal = 0;
  let peakTotal = 0;
  const bump = (key: string, by: number): void => {
    const n = (live.get(key) ?? 0) + by;
    live.set(key, n);
    peak.set(key, Math.max(peak.get(key) ?? 0, n));
  };
  const probeHost = async (t: HostTarget) => {
    calls.push(t);
    bump(t.address, 1);
    bump(`provider:${providerOf(t.host)}`, 1);
    liveTotal += 1;
    peakTotal = Math.max(peakTotal, liveTotal);
    await tick(delayMs);
    bump(t.address, -1);
    bump(`provider:${providerOf(t.host)}`, -1);
    liveTotal -= 1;
    return { ...hostResult({ host: t.host, address: t.address }), transcript: ['S: 220 hi'] };
  };
  return { probeHost, calls, peak, peakTotal: () => peakTotal };
}

describe('createHostPool', () => {
  it('probes an address shared by many domains once and shares the in-flight result', async () => {
    const fake = countingProbe(20);
    const pool = createHostPool({ probeHost: fake.probeHost });
    const results = await Promise.all(
      Array.from({ length: 50 }, () => pool.probeHost(target('mx.big.test', '127.0.30.1'), {})),
    );
    expect(fake.calls).toHaveLength(1);
    expect(new Set(results).size).toBe(1);
    expect(pool.stats()).toEqual({ probes: 1, shared: 49, entries: 1 });
    // A later request, after the probe settled, is answered from the cache too.
    await pool.probeHost(target('mx.big.test', '127.0.30.1'), {});
    expect(fake.calls).toHaveLength(1);
  });

  it('drops transcripts from shared results', async () => {
    const fake = countingProbe();
    const pool = createHostPool({ probeHost: fake.probeHost });
    const result = await pool.probeHost(target('mx.big.test', '127.0.30.1'), { transcript: true });
    expect(result.transcript).toBeUndefined();
    expect(result.outcome).toBe('tls');
  });

  it('probes the same address separately for each MX name, one connection at a time', async () => {
    const fake = countingProbe(10);
    const pool = createHostPool({ probeHost: fake.probeHost });
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        pool.probeHost(target(`mx${i}.host.test`, '127.0.30.2'), {})),
    );
    expect(fake.calls).toHaveLength(12);
    expect(fake.peak.get('127.0.30.2')).toBe(1);
  });

  it('keeps per-address and per-provider limits', async () => {
    const fake = countingProbe(10);
    const pool = createHostPool({ probeHost: fake.probeHost, perAddress: 2, perProvider: 3 });
    const work: Promise<unknown>[] = [];
    for (let a = 1; a <= 6; a += 1) {
      for (let h = 0; h < 4; h += 1) {
        work.push(pool.probeHost(target(`mx${h}.prov.test`, `127.0.30.${a}`), {}));
        work.push(pool.probeHost(target(`mx${h}.other${a}.test`, `127.0.31.${a}`), {}));
      }
    }
    await Promise.all(work);
    expect(fake.calls).toHaveLength(48);
    for (let a = 1; a <= 6; a += 1) {
      expect(fake.peak.get(`127.0.30.${a}`)).toBeLessThanOrEqual(2);
      expect(fake.peak.get(`127.0.31.${a}`)).toBeLessThanOrEqual(2);
    }
    expect(fake.peak.get('provider:prov.test')).toBe(3);
    // Different providers proceed in parallel: the limit is not a global one.
    expect(fake.peakTotal()).toBeGreaterThan(3);
  });

  it('rejects a limit that is not a positive integer', () => {
    const fake = countingProbe();
    const create = () => createHostPool({ probeHost: fake.probeHost, perAddress: 0 });
    expect(create).toThrow(/perAddress/);
  });
});
