/**
 * `mxtls scan` run as a user runs it (node bin/mxtls.js, built by the global setup) against
 * the Postfix lab and its DNS test server: the table, --json and the exit codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainResult } from '../../src/probe/types.js';
import { GOOD_DAYS_TO_EXPIRY, startProbeLab, type ProbeLab } from '../lab/probe-lab.js';
import { requirePostfix } from '../lab/require.js';
import { runCommand, type CommandRun } from '../lab/run-command.js';

const BIN = new URL('../../bin/mxtls.js', import.meta.url).pathname;

/** Runs the CLI with no stdin and a deadline, as a script or cron job would. */
function runCli(args: string[], timeoutMs = 60_000): Promise<CommandRun> {
  return runCommand(process.execPath, [BIN, ...args], { timeoutMs });
}

/** The table as header-keyed rows; columns are separated by two or more spaces. */
function parseTable(stdout: string): Record<string, string>[] {
  const [header, ...lines] = stdout.trimEnd().split('\n');
  const columns = (header ?? '').split(/\s{2,}/);
  return lines.map((line) => {
    const cells = line.split(/\s{2,}/);
    return Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? '']));
  });
}

describe.skipIf(!requirePostfix())('mxtls scan against the Postfix lab', () => {
  let lab: ProbeLab;
  let common: string[];

  /**
   * The lab's options with some replaced. Each option appears once: yargs turns a repeated
   * option into an array, which the scan command does not read as a resolver or CA file.
   */
  const labOptions = (replace: Record<string, string> = {}): string[] => {
    const options: Record<string, string> = {
      '--resolver': lab.dns.address,
      '--ca-file': lab.ca.certFile,
      '--helo': 'cli.mxtls.test',
      '--timeout-connect': '5000',
      ...replace,
    };
    return Object.entries(options).flat();
  };

  beforeAll(async () => {
    lab = await startProbeLab();
    common = labOptions();
  });

  afterAll(async () => {
    await lab?.stop();
  });

  it('prints one table row per MX address and exits 0 when all verify', async () => {
    const run = await runCli(['scan', 'good.test', 'tls12.test', ...common]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // The columns the issue asks for, in order; policy columns may follow.
    expect(run.stdout.split('\n')[0]).toMatch(
      /^DOMAIN +PREF +HOST +ADDRESS +STARTTLS +PROTOCOL +CIPHER +CERTIFICATE +EXPIRY(  |$)/,
    );
    const rows = parseTable(run.stdout);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      DOMAIN: 'good.test',
      PREF: '10',
      HOST: 'mx1.good.test',
      ADDRESS: '127.0.10.1',
      STARTTLS: 'yes',
      PROTOCOL: 'TLSv1.3',
      CIPHER: 'TLS_AES_256_GCM_SHA384',
      CERTIFICATE: 'verified',
      EXPIRY: String(GOOD_DAYS_TO_EXPIRY),
    });
    expect(rows[1]).toMatchObject({
      DOMAIN: 'tls12.test',
      ADDRESS: '127.0.10.4',
      PROTOCOL: 'TLSv1.2',
      CERTIFICATE: 'verified',
    });
  });

  it('exits 1 and names the problem on stderr when an MX lacks verified TLS', async () => {
    const run = await runCli([
      'scan', 'multi.test', 'wrong.test', 'noaddr.test', 'nullmx.test', 'broken.test', ...common,
    ]);
    expect(run.code).toBe(1);
    const rows = parseTable(run.stdout);
    expect(rows.map((r) => [r.DOMAIN, r.PREF, r.ADDRESS, r.STARTTLS, r.CERTIFICATE])).toEqual([
      ['multi.test', '10', '127.0.10.1', 'yes', 'verified'],
      ['multi.test', '20', '127.0.10.4', 'yes', 'verified'],
      ['multi.test', '30', '127.0.10.2', 'no', '-'],
      ['wrong.test', '10', '127.0.10.3', 'yes', 'name-mismatch'],
      ['noaddr.test', '10', '-', 'no address', '-'],
      ['noaddr.test', '20', '127.0.10.1', 'yes', 'verified'],
      ['nullmx.test', '-', '-', 'null MX: accepts no mail', '-'],
      ['broken.test', '-', '-', 'DNS error', '-'],
    ]);
    expect(run.stderr).toMatch(/^mxtls: broken\.test: error: .*SERVFAIL/m);
    expect(run.stderr).toMatch(/^mxtls: multi\.test: partial: /m);
    expect(run.stderr).toMatch(/^mxtls: wrong\.test: tls-unverified: /m);
    expect(run.stderr).not.toMatch(/nullmx\.test/);
  });

  it('writes one mxtls.scan/1 JSON line per domain with --json and nothing else', async () => {
    const run = await runCli([
      'scan', 'multi.test', 'missing.test', 'broken.test', '--json', ...common,
    ]);
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    const [multi, missing, broken] = lines.map((l) => JSON.parse(l) as DomainResult);
    expect(multi?.schema).toBe('mxtls.scan/1');
    expect(multi?.verdict).toBe('partial');
    expect(multi?.dns.resolver).toBe(lab.dns.address);
    expect(multi?.exchanges.map((e) => e.preference)).toEqual([10, 20, 30]);
    const tls12 = multi?.exchanges[1]?.hosts[0];
    expect(tls12?.tls?.protocol).toBe('TLSv1.2');
    expect(tls12?.tls?.certificate.chainVerified).toBe(true);
    expect(multi?.exchanges[2]?.hosts[0]?.starttls).toBe('not-offered');
    expect(missing).toMatchObject({ domain: 'missing.test', verdict: 'not-found' });
    expect(missing?.dns.outcome).toBe('nxdomain');
    expect(broken?.verdict).toBe('error');
    expect(broken?.dns.error?.code).toBe('MXTLS_DNS_SERVFAIL');
  });

  it('exits 2 for a malformed --resolver and probes nothing', async () => {
    const before = lab.servers.good.readLog();
    const run = await runCli(['scan', 'good.test',
      ...labOptions({ '--resolver': '127.0.0.1:notaport' })]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^mxtls: .*127\.0\.0\.1:notaport/);
    expect(lab.servers.good.readLog()).toBe(before);
  });

  it('exits 2 for a name that is not a domain, or no domain at all', async () => {
    const bad = await runCli(['scan', 'not a domain', ...common]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a domain/);
    const none = await runCli(['scan', ...common]);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
  });

  it('exits 2 for a CA file that does not exist', async () => {
    const run = await runCli(['scan', 'good.test',
      ...labOptions({ '--ca-file': '/nonexistent/ca.pem' })]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/\/nonexistent\/ca\.pem/);
  });
});
