import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DomainResult } from '../../../src/probe/types.js';
import { RUN_SCHEMA, createRun } from '../../../src/scan/results-store.js';
import type { RunScanOutcome } from '../../../src/scan/run.js';
import { summarizeRun } from '../../../src/scan/summary.js';
import {
  checkCronPattern,
  createWatcher,
  diffPathOf,
  type Scheduler,
} from '../../../src/scan/watch.js';
import { domainResult } from './make-results.js';

const HOOK = 'http://hooks.mxtls.test/watch';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

/** A scheduler whose ticks the test fires by hand. */
function fakeScheduler(): Scheduler & { fire(): void; patterns: string[]; stopped: boolean } {
  let tick: () => void = () => {};
  const fake = {
    patterns: [] as string[],
    stopped: false,
    fire: () => tick(),
    schedule(pattern: string, onTick: () => void) {
      fake.patterns.push(pattern);
      tick = onTick;
      return { stop: () => void (fake.stopped = true), nextRun: () => null };
    },
  };
  return fake;
}

/** A scan that writes a complete run of `results` at the fake time `clock`. */
function fakeScan(dir: string, clock: { now: Date }, results: () => DomainResult[]) {
  return async (): Promise<RunScanOutcome> => {
    const list = results();
    const writer = await createRun(dir, {
      schema: RUN_SCHEMA, type: 'run', startedAt: clock.now.toISOString(), options: {},
      input: { file: 'partners.txt' },
    });
    for (const r of list) await writer.append(r);
    const summary = summarizeRun(list);
    const path = await writer.complete(summary, clock.now);
    return {
      path, complete: true, interrupted: false, summary, scanned: list.length, resumedDone: 0,
      pool: { probes: 0, shared: 0, entries: 0 },
    };
  };
}

describe('createWatcher', () => {
  it('never runs twice at once: a tick during a run is skipped and logged', async () => {
    const log: string[] = [];
    let release: () => void = () => {};
    let scans = 0;
    const watcher = createWatcher({
      dir: mkdtempSync(join(tmpdir(), 'mxtls-watch-')),
      log: (line) => log.push(line),
      scan: () => {
        scans += 1;
        return new Promise((_, reject) => {
          release = () => reject(new Error('list gone'));
        });
      },
    });
    const scheduler = fakeScheduler();
    const job = watcher.start('0 2 * * *', scheduler);
    expect(scheduler.patterns).toEqual(['0 2 * * *']);
    scheduler.fire();
    scheduler.fire();
    scheduler.fire();
    expect(scans).toBe(1);
    expect(log.filter((l) => l.startsWith('skipped'))).toHaveLength(2);
    release();
    await watcher.idle();
    expect(log.at(-1)).toBe('run failed: list gone');
    // Once the run is over, the next tick runs again.
    scheduler.fire();
    expect(scans).toBe(2);
    release();
    await watcher.idle();
    job.stop();
    expect(scheduler.stopped).toBe(true);
  });

  it('writes the diff against the previous run and notifies when something got worse', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mxtls-watch-'));
    const clock = { now: new Date('2026-12-01T02:00:00Z') };
    let night = 0;
    const posted: unknown[] = [];
    server.use(
      http.post(HOOK, async ({ request }) => {
        posted.push(await request.json());
        return new HttpResponse(null, { status: 200 });
      }),
    );
    const log: string[] = [];
    const watcher = createWatcher({
      dir,
      notifyUrl: HOOK,
      log: (line) => log.push(line),
      scan: fakeScan(dir, clock, () => [
        domainResult('a.test'),
        night === 0
          ? domainResult('b.test')
          : domainResult('b.test', {
            verdict: 'no-tls',
            hosts: [{ outcome: 'starttls-not-offered' }],
          }),
      ]),
    });

    const first = await watcher.runOnce();
    expect(first.diff).toBeUndefined();
    expect(log.at(-1)).toMatch(/first run/);

    night = 1;
    clock.now = new Date('2026-12-02T02:00:00Z');
    const second = await watcher.runOnce();
    expect(second.previous).toBe(join(dir, '2026-12-01T020000Z.jsonl'));
    expect(second.diffPath).toBe(join(dir, '2026-12-02T020000Z.diff.json'));
    const written = JSON.parse(readFileSync(second.diffPath ?? '', 'utf8'));
    expect(written.counts.worse).toBe(1);
    expect(written.domains[0].worse[0].kind).toBe('starttls-lost');
    expect(second.notified).toMatchObject({ delivered: true, attempts: 1 });
    expect(posted).toEqual([written]);

    // A third night with no change: a diff, no notification.
    clock.now = new Date('2026-12-03T02:00:00Z');
    const third = await watcher.runOnce();
    expect(third.diff?.counts.worse).toBe(0);
    expect(third.notified).toBeUndefined();
    expect(posted).toHaveLength(1);
  });

  it('logs a failed notification and keeps the results and the diff', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mxtls-watch-'));
    const clock = { now: new Date('2026-12-01T02:00:00Z') };
    let night = 0;
    let attempts = 0;
    server.use(
      http.post(HOOK, () => {
        attempts += 1;
        return new HttpResponse(null, { status: 502 });
      }),
    );
    const log: string[] = [];
    const waits: number[] = [];
    const watcher = createWatcher({
      dir,
      notifyUrl: HOOK,
      notify: { attempts: 3, backoffMs: 50, sleep: async (ms) => void waits.push(ms) },
      log: (line) => log.push(line),
      scan: fakeScan(dir, clock, () => [
        night === 0
          ? domainResult('a.test')
          : domainResult('a.test', { hosts: [{ protocol: 'TLSv1.2' }] }),
      ]),
    });
    await watcher.runOnce();
    night = 1;
    clock.now = new Date('2026-12-02T02:00:00Z');
    const second = await watcher.runOnce();
    expect(second.notified).toMatchObject({ delivered: false, attempts: 3 });
    expect(attempts).toBe(3);
    expect(waits).toEqual([50, 100]);
    expect(log.at(-1)).toMatch(/^cannot notify .*HTTP 502 after 3 attempts/);
    expect(existsSync(second.run?.path ?? '')).toBe(true);
    expect(existsSync(diffPathOf(second.run?.path ?? ''))).toBe(true);
  });

  it('rejects a bad cron pattern as a usage error', () => {
    expect(() => checkCronPattern('0 2 * *x')).toThrow(/Cannot schedule "0 2 \* \*x"/);
    expect(() => checkCronPattern('0 2 * * *')).not.toThrow();
  });
});
