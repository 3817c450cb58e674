import { describe, expect, it } from 'vitest';
import { scanDomains } from '../../../src/scan/bulk.js';
import type { DomainResult } from '../../../src/probe/types.js';
import { domainResult } from './make-results.js';

const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('scanDomains', () => {
  it('pulls domains only as slots free: in flight and pulled ahead stay bounded', async () => {
    let pulled = 0;
    let finished = 0;
    let maxAhead = 0;
    let live = 0;
    let peak = 0;
    function* list(): Generator<string> {
      for (let i = 0; i < 2000; i += 1) {
        pulled += 1;
        maxAhead = Math.max(maxAhead, pulled - finished);
        yield `d${i}.test`;
      }
    }
    const seen = new Set<string>();
    const scan = scanDomains(list(), {
      concurrency: 8,
      probeDomain: async (domain) => {
        live += 1;
        peak = Math.max(peak, live);
        await tick(Math.random() * 2);
        live -= 1;
        return domainResult(domain);
      },
    });
    for await (const result of scan) {
      finished += 1;
      seen.add(result.domain);
    }
    expect(seen.size).toBe(2000);
    expect(peak).toBeLessThanOrEqual(8);
    expect(peak).toBeGreaterThan(1);
    expect(maxAhead).toBeLessThanOrEqual(9);
  });

  it('goes on when every probe in flight finishes at the same moment', async () => {
    const shared = Promise.resolve();
    let count = 0;
    const list = Array.from({ length: 100 }, (_, i) => `d${i}.test`);
    for await (const r of scanDomains(list, {
      concurrency: 16,
      probeDomain: async (d) => {
        await shared;
        return domainResult(d);
      },
    })) {
      expect(r.verdict).toBe('verified-tls');
      count += 1;
    }
    expect(count).toBe(100);
  });

  it('yields each result as it finishes, not in list order', async () => {
    const delays: Record<string, number> = { 'slow.test': 300, 'fast.test': 1 };
    const order: string[] = [];
    for await (const r of scanDomains(['slow.test', 'fast.test'], {
      probeDomain: async (d) => {
        await tick(delays[d] ?? 0);
        return domainResult(d);
      },
    })) {
      order.push(r.domain);
    }
    expect(order).toEqual(['fast.test', 'slow.test']);
  });

  it('does not pull ahead while the consumer is slow (back-pressure)', async () => {
    let pulled = 0;
    function* list(): Generator<string> {
      for (let i = 0; i < 100; i += 1) {
        pulled += 1;
        yield `d${i}.test`;
      }
    }
    const scan = scanDomains(list(), {
      concurrency: 4,
      probeDomain: async (d) => domainResult(d),
    });
    await scan.next();
    await tick(50);
    expect(pulled).toBeLessThanOrEqual(5);
    await scan.return(undefined);
  });

  it('turns a thrown probe into an error result and goes on', async () => {
    const got: DomainResult[] = [];
    for await (const r of scanDomains(['ok.test', 'boom.test'], {
      probeDomain: async (d) => {
        if (d === 'boom.test') throw new Error('kaput');
        return domainResult(d);
      },
    })) {
      got.push(r);
    }
    const boom = got.find((r) => r.domain === 'boom.test');
    expect(boom?.verdict).toBe('error');
    expect(boom?.dns.error?.message).toBe('kaput');
    expect(got.find((r) => r.domain === 'ok.test')?.verdict).toBe('verified-tls');
  });

  it('on abort starts nothing new, stops probes in flight, keeps results yielded', async () => {
    const controller = new AbortController();
    const started: string[] = [];
    let sawAbort = 0;
    const list = Array.from({ length: 50 }, (_, i) => `d${i}.test`);
    const got: string[] = [];
    const scan = scanDomains(list, {
      concurrency: 4,
      signal: controller.signal,
      probeDomain: (domain, signal) => {
        started.push(domain);
        if (domain === 'd0.test' || domain === 'd1.test') {
          return Promise.resolve(domainResult(domain));
        }
        return new Promise<DomainResult>((resolve) => {
          signal.addEventListener('abort', () => {
            sawAbort += 1;
            resolve(domainResult(domain, { verdict: 'error' }));
          });
        });
      },
    });
    for await (const r of scan) {
      got.push(r.domain);
      if (got.length === 2) controller.abort();
    }
    expect(got.sort()).toEqual(['d0.test', 'd1.test']);
    expect(started.length).toBeLessThanOrEqual(6);
    expect(sawAbort).toBe(started.length - 2);
  });

  it('ends the iterator of the list when the consumer stops early', async () => {
    let closed = false;
    async function* list(): AsyncGenerator<string> {
      try {
        for (let i = 0; i < 100; i += 1) yield `d${i}.test`;
      } finally {
        closed = true;
      }
    }
    for await (const r of scanDomains(list(), { probeDomain: async (d) => domainResult(d) })) {
      expect(r.domain).toMatch(/\.test$/);
      break;
    }
    expect(closed).toBe(true);
  });
});
