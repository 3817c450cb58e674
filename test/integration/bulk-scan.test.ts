/**
 * The bulk scan against a real fleet of STARTTLS listeners on 127.0.30.x and the tests' own
 * DNS server: shared MX hosts probed once, per-address limits kept, results streamed, a run
 * file written, progress only on a terminal.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBulkScan, type BulkScanSettings } from '../../src/cli/scan-bulk.js';
import type { CliIo } from '../../src/cli/io.js';
import { createResolver } from '../../src/dns/resolver.js';
import type { DomainResult } from '../../src/probe/types.js';
import { startBulkLab, type BulkLab } from '../helpers/smtp-fleet.js';

class Capture extends Writable {
  text = '';
  constructor(readonly isTTY = false, readonly columns = 120) {
    super();
  }
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

function testIo(options: { tty?: boolean; stdin?: string; signal?: AbortSignal } = {}) {
  const stdout = new Capture();
  const stderr = new Capture(options.tty ?? false);
  const io: CliIo = {
    stdout,
    stderr,
    stdin: Readable.from([options.stdin ?? '']),
    signal: options.signal ?? new AbortController().signal,
  };
  return { io, stdout, stderr };
}

let lab: BulkLab;

beforeAll(async () => {
  lab = await startBulkLab({ big: 120, own: 40 });
});
afterAll(async () => {
  await lab?.close();
});

function settings(extra: Partial<BulkScanSettings>): BulkScanSettings {
  return {
    probe: {
      resolver: createResolver({ server: lab.dns.address, cacheSize: 1000 }),
      port: lab.fleet.port,
      ca: lab.ca.certPem,
      helo: 'scanner.lab.test',
      timeouts: { connect: 5000, greeting: 10_000, command: 10_000, handshake: 10_000 },
    },
    concurrency: 16,
    ...extra,
  };
}

describe('bulk scan against a loopback fleet', () => {
  it('probes a shared MX once, streams JSON Lines and writes a complete run file', async () => {
    lab.fleet.resetCounts();
    const out = mkdtempSync(join(tmpdir(), 'mxtls-bulk-'));
    const list = ['# partners', ...lab.bigDomains, ...lab.ownDomains, 'big0.test', 'not a name']
      .join('\n');
    const { io, stdout, stderr } = testIo({ stdin: list });
    const code = await runBulkScan(settings({ file: '-', json: true, out }), io);

    expect(code).toBe(0);
    const lines = stdout.text.trim().split('\n').map((l) => JSON.parse(l) as DomainResult);
    expect(lines).toHaveLength(160);
    expect(new Set(lines.map((r) => r.domain)).size).toBe(160);
    expect(lines.every((r) => r.verdict === 'verified-tls')).toBe(true);
    // 120 domains, one MX address: one SMTP session.
    expect(lab.fleet.at('127.0.30.1').connections).toBe(1);
    for (const domain of lab.ownDomains.slice(0, 8)) {
      expect(lab.fleet.at(lab.addressOf(domain)).connections).toBe(5);
    }
    expect(stderr.text).toContain('list line 162: skipped duplicate "big0.test" (first on line 2)');
    expect(stderr.text).toContain('list line 163: skipped invalid domain "not a name"');
    expect(stderr.text).toContain('160 domains: 160 verified TLS');
    expect(stderr.text).not.toContain('\r');

    const path = /results in (\S+)/.exec(stderr.text)?.[1] ?? '';
    expect(path.endsWith('.jsonl')).toBe(true);
    const file = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(file[0]).toMatchObject({ schema: 'mxtls.run/1', type: 'run', input: { file: '-' } });
    expect(file.at(-1)).toMatchObject({ type: 'summary', summary: { domains: 160, mxHosts: 41 } });
    expect(file).toHaveLength(162);
  });

  it('keeps at most --per-address connections open to one address', async () => {
    for (const l of lab.fleet.listeners.values()) l.behaviour.greetingDelayMs = 40;
    try {
      for (const perAddress of [1, 2]) {
        lab.fleet.resetCounts();
        const { io } = testIo({ stdin: lab.ownDomains.join('\n') });
        const code = await runBulkScan(
          settings({ file: '-', json: true, save: false, perAddress, perProvider: 40,
            concurrency: 40 }),
          io,
        );
        expect(code).toBe(0);
        const peaks = lab.ownDomains.map((d) => lab.fleet.at(lab.addressOf(d)).peak);
        expect(Math.max(...peaks)).toBeLessThanOrEqual(perAddress);
        // Five domains per address were waiting at once, so the limit was actually reached.
        expect(Math.max(...peaks)).toBe(perAddress);
      }
    } finally {
      for (const l of lab.fleet.listeners.values()) l.behaviour.greetingDelayMs = 0;
    }
  });

  it('keeps at most --per-provider connections open to one provider', async () => {
    for (const l of lab.fleet.listeners.values()) l.behaviour.greetingDelayMs = 40;
    try {
      lab.fleet.resetCounts();
      // Every own MX is under lab.test: one provider on eight addresses.
      const { io } = testIo({ stdin: lab.ownDomains.join('\n') });
      const code = await runBulkScan(
        settings({ file: '-', json: true, save: false, perProvider: 3, concurrency: 40 }),
        io,
      );
      expect(code).toBe(0);
      expect(lab.fleet.peak).toBeLessThanOrEqual(3);
      expect(lab.fleet.peak).toBe(3);
    } finally {
      for (const l of lab.fleet.listeners.values()) l.behaviour.greetingDelayMs = 0;
    }
  });

  it('streams table rows as domains finish and shows progress on a terminal', async () => {
    for (const l of lab.fleet.listeners.values()) l.behaviour.greetingDelayMs = 150;
    try {
      const { io, stdout, stderr } = testIo({ tty: true, stdin: lab.ownDomains.join('\n') });
      let rowsBeforeEnd = 0;
      const sample = setInterval(() => {
        rowsBeforeEnd = Math.max(rowsBeforeEnd, stdout.text.split('\n').length - 2);
      }, 20);
      const code = await runBulkScan(settings({ file: '-', save: false, concurrency: 4 }), io);
      clearInterval(sample);
      expect(code).toBe(0);
      const rows = stdout.text.trim().split('\n');
      expect(rows[0]).toMatch(/^DOMAIN\s+PREF\s+HOST\s+ADDRESS\s+STARTTLS/);
      expect(rows).toHaveLength(41);
      expect(rows[1]).toMatch(/^own\d+\.test\s+10\s+mx-own\d+\.lab\.test\s+127\.0\.30\.\d\s+yes/);
      // Rows appeared while the scan was still going, not all at the end.
      expect(rowsBeforeEnd).toBeGreaterThan(0);
      expect(rowsBeforeEnd).toBeLessThan(40);
      const progressLine = /\r\x1b\[K\d+ domains, \d+ without verified TLS, 0 errors, [\d.]+\/s/;
      expect(stderr.text).toMatch(progressLine);
    } finally {
      for (const l of lab.fleet.listeners.values()) l.behaviour.greetingDelayMs = 0;
    }
  });

  it('stops on abort, keeps what was done in a .partial file and exits 130', async () => {
    for (const l of lab.fleet.listeners.values()) l.behaviour.greetingDelayMs = 100;
    try {
      const out = mkdtempSync(join(tmpdir(), 'mxtls-bulk-'));
      const controller = new AbortController();
      const stdin = lab.ownDomains.join('\n');
      const { io, stdout, stderr } = testIo({ stdin, signal: controller.signal });
      const timer = setTimeout(() => controller.abort(), 700);
      const code = await runBulkScan(settings({ file: '-', json: true, out, concurrency: 4 }), io);
      clearTimeout(timer);
      expect(code).toBe(130);
      const printed = stdout.text.trim().split('\n').filter(Boolean);
      expect(printed.length).toBeGreaterThan(0);
      expect(printed.length).toBeLessThan(40);
      const partial = /--resume (\S+)/.exec(stderr.text)?.[1] ?? '';
      expect(partial.endsWith('.partial')).toBe(true);
      const saved = readFileSync(partial, 'utf8').trim().split('\n');
      // The header and exactly the printed results: nothing aborted half-way was kept.
      expect(saved).toHaveLength(printed.length + 1);
    } finally {
      for (const l of lab.fleet.listeners.values()) l.behaviour.greetingDelayMs = 0;
    }
  });
});
