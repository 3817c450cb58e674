import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { bufferIo } from '../../helpers/buffer-io.js';

describe('mxtls command line', () => {
  it('refuses a single-valued flag given twice instead of falling back to the system', async () => {
    // Port 1 on loopback: were the flags taken, nothing could be reached anyway.
    for (const args of [
      ['scan', 'a.test', '--resolver', '127.0.0.1:1', '--resolver', '127.0.0.1:2'],
      ['scan', 'a.test', '--resolver', '127.0.0.1:1', '--ca-file', 'x', '--ca-file', 'y'],
      ['compare', 'a.test', '-', '--results', 'x', '--results', 'y'],
    ]) {
      const { io, err } = bufferIo();
      expect(await main(args, io)).toBe(2);
      expect(err()).toMatch(/Cannot use --(resolver|ca-file|results) more than once/);
    }
  });

  it('lets --internal-net repeat', async () => {
    const { io, err } = bufferIo(
      'Received: from a.test by b.test; Mon, 1 Jan 2024 00:00:00 +0000\n');
    const code = await main(
      ['trace', '-', '--internal-net', '10.0.0.0/8', '--internal-net', '127.0.0.1/32'], io);
    expect(err()).not.toMatch(/more than once/);
    expect([0, 1]).toContain(code);
  });

  it('stops at a failed check instead of running the command', async () => {
    const { io, out, err } = bufferIo();
    const code = await main(['scan', 'a.test', '--file', 'list.txt'], io);
    expect(code).toBe(2);
    expect(err()).toContain('name domains or give --file, not both');
    expect(out()).toBe('');
  });

  it('answers an unknown command and no command with exit 2', async () => {
    for (const args of [[], ['frobnicate']]) {
      const { io } = bufferIo();
      expect(await main(args, io)).toBe(2);
    }
  });
});

describe('scanProbeOptions', () => {
  it('never reads a resolver that is not one string as "use the system resolver"', async () => {
    const { scanProbeOptions } = await import('../../../src/cli/commands/scan.js');
    const { io } = bufferIo();
    await expect(scanProbeOptions({ resolver: ['127.0.0.1:1', '127.0.0.1:2'] }, io))
      .rejects.toThrow(/--resolver/);
    await expect(scanProbeOptions({ resolver: '127.0.0.1:1', 'ca-file': ['a', 'b'] }, io))
      .rejects.toThrow(/--ca-file/);
  });
});

describe('bin/mxtls.js', () => {
  it('ends quietly when the reader of its output goes away (EPIPE)', async () => {
    const { spawn } = await import('node:child_process');
    const { join } = await import('node:path');
    const root = join(import.meta.dirname, '../../..');
    const child = spawn(process.execPath, [
      join(root, 'bin/mxtls.js'), 'trace',
      join(root, 'test/fixtures/received/issue-luxsci-proofpoint.eml'),
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Closing our end before the first line arrives makes every write of the child fail.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += String(chunk); });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/EPIPE|at \w+ \(/);
    // The trace's own answer (1: an unencrypted hand-off), not a crash.
    expect(code).toBe(1);
  });
});

describe('terminal safety', () => {
  const ESC = '\u001b';

  it('prints host names and details from DNS and servers without control bytes', async () => {
    const { reportDomain } = await import('../../../src/cli/commands/scan.js');
    const { io, err } = bufferIo();
    const evil = `${ESC}[31mevil${ESC}[0m.test`;
    reportDomain({
      schema: 'mxtls.scan/1', domain: 'a.test', checkedAt: '2026-12-03T00:00:00.000Z',
      verdict: 'no-tls', detail: `No address offers TLS (${evil}: ${ESC}[2J)`,
      dns: { outcome: 'mx', resolver: '127.0.0.1:53' }, flags: [], durationMs: 1,
      exchanges: [{ host: evil, preference: 10, implicit: false, addressOutcome: 'ok',
        hosts: [{ host: evil, address: '127.0.0.1', family: 4, port: 25,
          outcome: 'starttls-not-offered', detail: `${ESC}]0;title${ESC}\\`, temporary: false,
          starttls: 'not-offered', timings: { total: 1 } }] }],
    }, { verbose: true }, io);
    expect(err()).toContain('evil');
    expect(err()).not.toContain(ESC);
  });

  it('prints domain names read from run files without control bytes', async () => {
    const { formatDiff } = await import('../../../src/cli/format-diff.js');
    const lines = formatDiff({
      schema: 'mxtls.diff/1', old: { file: 'a', startedAt: 'x' }, new: { file: 'b' },
      expiryDays: 14, added: [], removed: [`${ESC}[2J${ESC}[31mEVIL`],
      counts: { worse: 1, better: 0, unchecked: 0, unchanged: 0, added: 0, removed: 1 },
      domains: [{ domain: `${ESC}[31mred.test`, better: [], unchecked: [],
        worse: [{ kind: 'starttls-lost', direction: 'worse', message: 'lost' }] }],
    } as never);
    expect(lines.join('\n')).toContain('EVIL');
    expect(lines.join('\n')).not.toContain(ESC);
  });
});

describe('nothing checked', () => {
  it('exits 2, not 0, for a message without any Received field', async () => {
    const junk = 'Subject: hello\n\nno trace fields here\n';
    const trace = bufferIo(junk);
    expect(await main(['trace', '-'], trace.io)).toBe(2);
    const compare = bufferIo(junk);
    const saved = `${import.meta.dirname}/../../fixtures/compare/proofpoint-scan.jsonl`;
    expect(await main(['compare', 'a.test', '-', '--results', saved], compare.io)).toBe(2);
  });
});

describe('bulk scan start-up', () => {
  it('fails with exit 2 and no table when --out cannot be a directory', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'mxtls-out-'));
    writeFileSync(join(dir, 'list.txt'), 'a.test\n');
    writeFileSync(join(dir, 'plain-file'), '');
    const { io, out, err } = bufferIo();
    const code = await main(['scan', '--file', join(dir, 'list.txt'), '--resolver',
      '127.0.0.1:1', '--out', join(dir, 'plain-file', 'runs')], io);
    expect(code).toBe(2);
    expect(err()).toContain('Cannot create the results directory');
    expect(out()).toBe('');
  });
});
