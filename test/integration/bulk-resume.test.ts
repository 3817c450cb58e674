/**
 * Resume after an interrupted run: `mxtls scan --file` runs in a child process, is killed half-way
 * (SIGKILL, as a crash, and SIGINT, as Ctrl-C), and is continued with --resume. No domain
 * recorded as done is probed again, and the final file holds every domain once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBulkLab, type BulkLab } from '../helpers/smtp-fleet.js';

const BIN = resolve(import.meta.dirname, '../../bin/mxtls.js');

let lab: BulkLab;
let listFile: string;

beforeAll(async () => {
  lab = await startBulkLab({ big: 0, own: 96 });
  for (const l of lab.fleet.listeners.values()) l.behaviour.greetingDelayMs = 150;
  listFile = join(mkdtempSync(join(tmpdir(), 'mxtls-resume-')), 'partners.txt');
  writeFileSync(listFile, `${lab.ownDomains.join('\n')}\n`);
});
afterAll(async () => {
  await lab?.close();
});

function startChild(out: string): ChildProcess {
  return spawn(
    process.execPath,
    [BIN, 'scan', '--file', listFile, '--out', out, '--json', '--concurrency', '8',
      '--resolver', lab.dns.address, '--port', String(lab.fleet.port),
      '--ca-file', lab.ca.certFile, '--helo', 'scanner.lab.test'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits (at most 30 s) until the run's .partial file holds at least `results` lines. */
async function waitForResults(out: string, results: number): Promise<string> {
  for (let i = 0; i < 1500; i += 1) {
    const files = existsSync(out) ? readdirSync(out) : [];
    const partial = files.find((f) => f.endsWith('.partial'));
    if (partial) {
      const path = join(out, partial);
      if (readFileSync(path, 'utf8').split('\n').length - 2 >= results) return path;
    }
    await sleep(20);
  }
  throw new Error(`No .partial with ${results} results in ${out}`);
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => child.once('exit', (code, signal) => r(code ?? (signal ? -1 : null))));
}

/** Domains with a whole result line in a run file (a cut-off last line is not one). */
function doneDomains(path: string): string[] {
  const done: string[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    try {
      const record = JSON.parse(line) as { domain?: string };
      if (record.domain) done.push(record.domain);
    } catch {
      // The cut-off line.
    }
  }
  return done;
}

/** Continues the newest interrupted run of `out` through the CLI; resolves with its exit code. */
async function resume(out: string): Promise<number | null> {
  const child = spawn(
    process.execPath,
    [BIN, 'scan', '--resume', '--file', listFile, '--out', out, '--json', '--concurrency', '8',
      '--resolver', lab.dns.address, '--port', String(lab.fleet.port),
      '--ca-file', lab.ca.certFile, '--helo', 'scanner.lab.test'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await exited(child);
  expect(stderr).toMatch(/resuming .*\.partial: \d+ domains already done/);
  return code;
}

/** MX questions per domain in `dns.queries` from index `from` on. */
function mxQueries(from: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const q of lab.dns.queries.slice(from)) {
    if (q.type === 'MX') counts.set(q.name, (counts.get(q.name) ?? 0) + 1);
  }
  return counts;
}

describe('--resume after an interrupted bulk scan', () => {
  for (const signal of ['SIGKILL', 'SIGINT'] as const) {
    it(`continues a run stopped by ${signal} without probing done domains again`, async () => {
      const out = mkdtempSync(join(tmpdir(), 'mxtls-resume-out-'));
      const firstQuery = lab.dns.queries.length;
      const child = startChild(out);
      let stderr = '';
      child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
      const partial = await waitForResults(out, 10);
      child.kill(signal);
      const code = await exited(child);
      if (signal === 'SIGINT') {
        expect(code, stderr).toBe(130);
        expect(stderr).toContain('--resume');
      }
      expect(readdirSync(out)).toEqual([partial.split('/').at(-1)]);

      const done = doneDomains(partial);
      expect(done.length).toBeGreaterThanOrEqual(10);
      expect(done.length).toBeLessThan(96);
      const resumeFrom = lab.dns.queries.length;

      expect(await resume(out)).toBe(0);

      const files = readdirSync(out);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^\d{4}-\d\d-\d\dT\d{6}Z\.jsonl$/);
      const final = join(out, files[0] ?? '');
      const all = doneDomains(final);
      expect(all).toHaveLength(96);
      expect(new Set(all)).toEqual(new Set(lab.ownDomains));
      const lines = readFileSync(final, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(lines.at(-1)).toMatchObject({ type: 'summary', summary: { domains: 96 } });

      // Done domains were not asked about again; every other domain was, once.
      const again = mxQueries(resumeFrom);
      for (const domain of done) expect(again.has(domain), domain).toBe(false);
      for (const domain of lab.ownDomains.filter((d) => !done.includes(d))) {
        expect(again.get(domain), domain).toBe(1);
      }
      expect(Math.max(...mxQueries(firstQuery).values())).toBeLessThanOrEqual(2);
    });
  }
});
