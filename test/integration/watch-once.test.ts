/**
 * `mxtls watch --once` as cron or a systemd timer would run it: each run writes its file and
 * the diff against the previous run, and a regression is posted to the --notify endpoint (a
 * real HTTP server on loopback here, since the child process cannot see msw).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBulkLab, type BulkLab } from '../helpers/smtp-fleet.js';

const BIN = resolve(import.meta.dirname, '../../bin/mxtls.js');

let lab: BulkLab;
let hook: Server;
let hookUrl: string;
const posts: { status: number; body: unknown }[] = [];
let failNext = 0;

beforeAll(async () => {
  lab = await startBulkLab({ big: 5, own: 8 });
  hook = createServer((request, response) => {
    let body = '';
    request.on('data', (c: Buffer) => (body += c.toString()));
    request.on('end', () => {
      const status = failNext > 0 ? 503 : 200;
      if (failNext > 0) failNext -= 1;
      posts.push({ status, body: JSON.parse(body) });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  const address = hook.address();
  hookUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`;
});
afterAll(async () => {
  await lab?.close();
  await new Promise<void>((r) => hook?.close(() => r()));
});

function watchOnce(list: string, out: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [
    BIN, 'watch', '--once', '--file', list, '--out', out, '--resolver', lab.dns.address,
    '--port', String(lab.fleet.port), '--ca-file', lab.ca.certFile, '--notify', hookUrl,
    '--helo', 'scanner.lab.test',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
  return new Promise((r) => child.once('exit', (code) => {
    clearTimeout(timer);
    r({ code, stderr });
  }));
}

describe('mxtls watch --once', () => {
  it('writes each run and its diff, and posts a regression to --notify with retries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mxtls-watch-'));
    const list = join(dir, 'partners.txt');
    const out = join(dir, 'results');
    writeFileSync(list, [...lab.bigDomains, ...lab.ownDomains].join('\n'));

    const first = await watchOnce(list, out);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/first run in .*: nothing to compare with/);
    expect(posts).toHaveLength(0);

    lab.fleet.at('127.0.30.2').behaviour.starttls = false;
    failNext = 1;
    // The first POST gets 503; the retry after the back-off (1 s) is accepted.
    const second = await watchOnce(list, out);
    expect(second.code, second.stderr).toBe(1);
    expect(second.stderr).toMatch(/1 worse, 0 better/);
    expect(second.stderr).toMatch(/notified .* \(attempt 2\)/);
    expect(posts.map((p) => p.status)).toEqual([503, 200]);
    const posted = posts[1]?.body as { counts: { worse: number }; domains: { domain: string }[] };
    expect(posted.counts.worse).toBe(1);
    expect(posted.domains.map((d) => d.domain)).toEqual(['own0.test']);

    const files = readdirSync(out).sort();
    expect(files.filter((f) => f.endsWith('.jsonl'))).toHaveLength(2);
    const diffFile = files.find((f) => f.endsWith('.diff.json'));
    expect(diffFile).toBeDefined();
    const written = JSON.parse(readFileSync(join(out, diffFile ?? ''), 'utf8'));
    expect(written).toEqual(posted);
    expect(existsSync(join(out, (diffFile ?? '').replace('.diff.json', '.jsonl')))).toBe(true);
  });

  it('rejects a missing schedule and a bad cron pattern as usage errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mxtls-watch-'));
    const list = join(dir, 'partners.txt');
    writeFileSync(list, 'own0.test\n');
    const run = (args: string[]) => new Promise<{ code: number | null; stderr: string }>((r) => {
      const child = spawn(process.execPath, [BIN, 'watch', '--file', list, ...args],
        { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.once('exit', (code) => r({ code, stderr }));
    });
    const none = await run([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('give a schedule with --cron');
    const bad = await run(['--cron', 'every night']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Cannot schedule "every night"');
  });
});
