/**
 * The diff of two real runs: the fleet changes between them (one listener stops offering
 * STARTTLS, one caps TLS at 1.2, one presents a certificate for another name, one times
 * out) and `mxtls diff` names each regression, exits 1, and exits 0 the other way round.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBulkScan } from '../../src/cli/scan-bulk.js';
import { createResolver } from '../../src/dns/resolver.js';
import type { RunDiff } from '../../src/scan/diff.js';
import { listRuns } from '../../src/scan/results-store.js';
import { startBulkLab, type BulkLab } from '../helpers/smtp-fleet.js';

const BIN = resolve(import.meta.dirname, '../../bin/mxtls.js');

let lab: BulkLab;
let out: string;
let oldRun: string;
let newRun: string;

function sink(): Writable {
  return new Writable({ write: (_c, _e, done) => done() });
}

async function scan(): Promise<void> {
  await runBulkScan(
    {
      file: '-',
      out,
      json: true,
      concurrency: 16,
      probe: {
        resolver: createResolver({ server: lab.dns.address }),
        port: lab.fleet.port,
        ca: lab.ca.certPem,
        helo: 'scanner.lab.test',
        timeouts: { connect: 2000, greeting: 1500, command: 2000, handshake: 2000 },
      },
    },
    {
      stdout: sink(),
      stderr: sink(),
      stdin: Readable.from([[...lab.bigDomains, ...lab.ownDomains].join('\n')]),
      signal: new AbortController().signal,
    },
  );
}

function mxtls(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
}

beforeAll(async () => {
  lab = await startBulkLab({ big: 20, own: 16 });
  out = mkdtempSync(join(tmpdir(), 'mxtls-diff-'));
  await scan();
  lab.fleet.at('127.0.30.2').behaviour.starttls = false;
  lab.fleet.at('127.0.30.3').behaviour.maxVersion = 'TLSv1.2';
  lab.fleet.at('127.0.30.4').behaviour.leaf = lab.wrongLeaf;
  // Longer than the greeting timeout: a night when this server could not be checked.
  lab.fleet.at('127.0.30.5').behaviour.greetingDelayMs = 4000;
  await scan();
  // Both runs may start in the same second: listRuns knows that `-1` comes after.
  const runs = await listRuns(out);
  expect(runs).toHaveLength(2);
  [oldRun, newRun] = runs.map((r) => r.path) as [string, string];
});
afterAll(async () => {
  await lab?.close();
});

describe('mxtls diff of two runs against a changed fleet', () => {
  it('names each regression and exits 1', () => {
    const result = mxtls('diff', oldRun, newRun);
    expect(result.status, result.stderr).toBe(1);
    const text = result.stdout;
    expect(text).toMatch(/own0\.test\n\s+starttls-lost: mx-own0\.lab\.test \[127\.0\.30\.2\]/);
    expect(text).toMatch(/own1\.test\n\s+protocol-downgraded: .*from TLSv1\.3 to TLSv1\.2/);
    expect(text).toMatch(/own2\.test\n\s+certificate-unverified: .*no longer verifies/);
    expect(text).toContain('Could not be checked this time (2 domains)');
    expect(text).toMatch(/6 worse, 0 better, 2 could not be checked, 28 unchanged/);
  });

  it('prints the same as JSON with --json', () => {
    const result = mxtls('diff', oldRun, newRun, '--json');
    expect(result.status).toBe(1);
    const diff = JSON.parse(result.stdout) as RunDiff;
    expect(diff.schema).toBe('mxtls.diff/1');
    const kinds = (domain: string): string[] =>
      diff.domains.find((d) => d.domain === domain)?.worse.map((c) => c.kind) ?? [];
    // own0 and own8 share 127.0.30.2, own1 and own9 share .3, and so on.
    expect(kinds('own0.test')).toEqual(['starttls-lost']);
    expect(kinds('own8.test')).toEqual(['starttls-lost']);
    expect(kinds('own1.test')).toEqual(['protocol-downgraded']);
    expect(kinds('own2.test')).toEqual(['certificate-unverified']);
    // The timed-out server is "could not be checked", never "STARTTLS lost".
    const own3 = diff.domains.find((d) => d.domain === 'own3.test');
    expect(own3?.worse).toEqual([]);
    expect(own3?.unchecked.map((c) => c.kind)).toEqual(['unchecked']);
    expect(kinds('big0.test')).toEqual([]);
  });

  it('exits 0 when nothing got worse (the runs the other way round)', () => {
    const result = mxtls('diff', newRun, oldRun);
    expect(result.status, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/0 worse, 6 better/);
  });

  it('exits 2 with a clear message for an incomplete or unreadable file', () => {
    const partial = join(out, '2026-01-01T000000Z.partial');
    const header = { schema: 'mxtls.run/1', type: 'run', startedAt: 'x', options: {}, input: {} };
    writeFileSync(partial, `${JSON.stringify(header)}\n`);
    const incomplete = mxtls('diff', oldRun, partial);
    expect(incomplete.status).toBe(2);
    expect(incomplete.stderr).toMatch(/Cannot read ".*\.partial": the run is incomplete/);
    const missing = mxtls('diff', oldRun, join(out, 'nope.jsonl'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/Cannot read ".*nope\.jsonl": ENOENT/);
  });
});
