import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchCommandWith } from '../../../src/cli/commands/watch.js';
import type { CliIo } from '../../../src/cli/io.js';
import { cronScheduler, type Scheduler } from '../../../src/scan/watch.js';
import { startDnsServer, type TestDnsServer } from '../../helpers/dns-server.js';

let dns: TestDnsServer;
beforeAll(async () => {
  // No zone: every partner is NXDOMAIN, so a run needs DNS only and no SMTP.
  dns = await startDnsServer({ zone: {} });
});
afterAll(async () => {
  await dns?.close();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i += 1) {
    if (check()) return;
    await sleep(20);
  }
  throw new Error(`Timed out waiting for ${what}`);
}

describe('mxtls watch on a schedule', () => {
  it('runs on each tick, writes runs and diffs, and stops on Ctrl-C with exit 130', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mxtls-watchcmd-'));
    const list = join(dir, 'partners.txt');
    writeFileSync(list, 'a.test\nb.test\n');
    const out = join(dir, 'results');
    let tick: () => void = () => {};
    let stopped = false;
    const scheduler: Scheduler = {
      schedule(pattern, onTick) {
        expect(pattern).toBe('0 2 * * *');
        tick = onTick;
        const next = new Date('2026-12-04T02:00:00Z');
        return { stop: () => void (stopped = true), nextRun: () => next };
      },
    };
    let stderr = '';
    const controller = new AbortController();
    const io: CliIo = {
      stdout: new Writable({ write: (_c, _e, done) => done() }),
      stderr: new Writable({ write: (c, _e, done) => void ((stderr += String(c)), done()) }),
      stdin: Readable.from([]),
      signal: controller.signal,
    };
    const argv = {
      file: list, cron: '0 2 * * *', out, resolver: dns.address, once: false, port: 25,
      concurrency: 4,
    };
    const running = watchCommandWith(scheduler).run(argv, io);
    await waitFor(() => stderr.includes('next run 2026-12-04T02:00:00.000Z'), 'the schedule');

    const runs = (): string[] => readdirSync(out).filter((f) => f.endsWith('.jsonl'));
    tick();
    await waitFor(() => stderr.includes('nothing to compare with'), 'the first run');
    expect(runs()).toHaveLength(1);
    tick();
    tick();
    await waitFor(() => stderr.includes('0 worse'), 'the second run');
    expect(stderr).toContain('skipped a scheduled run: the previous run is still going');
    expect(runs()).toHaveLength(2);
    expect(readdirSync(out).filter((f) => f.endsWith('.diff.json'))).toHaveLength(1);

    controller.abort();
    expect(await running).toBe(130);
    expect(stopped).toBe(true);
  });

  it('ticks with croner on a real cron pattern', async () => {
    let ticks = 0;
    const job = cronScheduler.schedule('* * * * * *', () => {
      ticks += 1;
    });
    try {
      expect(job.nextRun()).toBeInstanceOf(Date);
      await waitFor(() => ticks > 0, 'a tick');
    } finally {
      job.stop();
    }
    expect(job.nextRun()).toBeNull();
  });
});
