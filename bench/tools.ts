/**
 * The three measured clients: mxtls (the CLI's bulk scan, or the library driver while the CLI
 * has none), posttls-finger through `xargs -P`, and the bare handshake loop. Each run scans the
 * same fleet at the same concurrency and says how many sessions really reached verified TLS;
 * a run that did not reach them all is marked invalid rather than compared.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { DomainResult, HostResult } from '../src/probe/types.js';
import { measure, type Measurement } from './measure.js';

export type ToolName = 'mxtls' | 'mxtls -P' | 'posttls-finger' | 'bare loop';

export interface ToolRun extends Measurement {
  tool: ToolName;
  /** Hosts (domains, for mxtls and posttls-finger) asked for. */
  asked: number;
  /** Sessions that reached verified TLS. */
  succeeded: number;
  /** Hosts per second: `asked` over the wall time, counted only when every one succeeded. */
  rate: number;
  valid: boolean;
  /** What went wrong, when not valid. */
  problem?: string;
  /** Bytes the tool wrote on stdout, where that is its result (mxtls's JSON Lines). */
  outputBytes?: number;
  /** Mean latency per stage of a domain's session, from mxtls's own timings, in ms. */
  stages?: string;
}

/** Where the files of a run live and what they point at. */
export interface RunContext {
  root: string;
  dir: string;
  caFile: string;
  resolver: string;
  concurrency: number;
  deadlineMs: number;
}

/** How mxtls is started: the CLI when it has a bulk scan, else bench/scan-driver.js. */
export interface MxtlsCommand {
  kind: 'cli' | 'driver';
  /** The node arguments before any profiling flags, for a list file. */
  args(list: string, context: RunContext): string[];
  /** A note for the report. */
  describe: string;
  /** The flag that leaves out the policy checks (MTA-STS, TLS-RPT, DANE), when there is one. */
  noPolicies?: string;
}

/** Asks the CLI whether `scan` takes `--file`, and which of its options it knows. */
export function mxtlsCommand(root: string, forceDriver: boolean): MxtlsCommand {
  const help = spawnSync(process.execPath, [join(root, 'bin/mxtls.js'), 'scan', '--help'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  const text = `${help.stdout ?? ''}${help.stderr ?? ''}`;
  if (!forceDriver && help.status === 0 && text.includes('--file')) {
    const extra = text.includes('--no-save') ? ['--no-save'] : [];
    // Every fleet host sits in fleet.test, one "provider" to the host pool, whose politeness
    // limit (default 8) would otherwise hold mxtls far below the concurrency the others get.
    const perProvider = text.includes('--per-provider');
    return {
      kind: 'cli',
      ...(text.includes('--no-policies') ? { noPolicies: '--no-policies' } : {}),
      describe: `the CLI: node bin/mxtls.js scan --file LIST --json ${extra.join(' ')}` +
        (perProvider ? ' --per-provider <concurrency>' : ' (no --per-provider: capped at 8!)'),
      args: (list, c) => [join(root, 'bin/mxtls.js'), 'scan', '--file', list,
        '--resolver', c.resolver, '--ca-file', c.caFile, '--concurrency', String(c.concurrency),
        ...(perProvider ? ['--per-provider', String(c.concurrency)] : []), '--json', ...extra],
    };
  }
  return {
    kind: 'driver',
    describe: 'bench/scan-driver.ts: the bulk runner of src/cli/scan-bulk.ts without yargs ' +
      '(`mxtls scan` takes no --file yet)',
    args: (list, c) => [join(root, 'dist-bench/bench/scan-driver.js'), list, c.resolver, c.caFile,
      String(c.concurrency)],
  };
}

/**
 * Counts JSON result lines in a stream without parsing them: a line is verified when it says
 * `"verdict":"verified-tls"`. Lines may be split across chunks.
 */
class LineCounter {
  lines = 0;
  verified = 0;
  private tail = '';

  push(chunk: Buffer): void {
    const text = this.tail + chunk.toString('utf8');
    const parts = text.split('\n');
    this.tail = parts.pop() ?? '';
    for (const line of parts) this.count(line);
  }

  end(): void {
    if (this.tail !== '') this.count(this.tail);
    this.tail = '';
  }

  /** Summed milliseconds per stage, over the domains parsed for `stages`. */
  readonly stageSums = new Map<string, number>();
  parsed = 0;

  private count(line: string): void {
    if (line.trim() === '') return;
    this.lines += 1;
    if (line.includes('"verdict":"verified-tls"')) this.verified += 1;
    // Parsing every line of a long run would cost more than the count; a sample is enough.
    if (this.parsed < STAGE_SAMPLE) this.addStages(line);
  }

  private addStages(line: string): void {
    let result: DomainResult;
    try {
      result = JSON.parse(line) as DomainResult;
    } catch {
      return;
    }
    const hosts = result.exchanges.flatMap((e) => e.hosts);
    if (hosts.length !== 1) return;
    const timings = (hosts[0] as HostResult).timings as unknown as Record<string, number>;
    this.parsed += 1;
    // What the domain took beyond its one host's session: DNS, queueing and bookkeeping.
    this.add('dns and rest', result.durationMs - (timings.total ?? 0));
    for (const [stage, ms] of Object.entries(timings)) this.add(stage, ms);
  }

  private add(stage: string, ms: number): void {
    this.stageSums.set(stage, (this.stageSums.get(stage) ?? 0) + ms);
  }

  /** Mean milliseconds per stage, e.g. `connect 1.2, greeting 3.4, ...`. */
  stages(): string | undefined {
    if (this.parsed === 0) return undefined;
    return [...this.stageSums].map(([stage, ms]) => `${stage} ${(ms / this.parsed).toFixed(1)}`)
      .join(', ');
  }
}

/** Result lines parsed for the per-stage latency of a run. */
const STAGE_SAMPLE = 2000;

function finish(tool: ToolName, asked: number, succeeded: number, m: Measurement,
  problem?: string): ToolRun {
  let why = problem;
  if (m.timedOut) why = 'killed at its deadline';
  else if (succeeded < asked) why ??= `only ${succeeded} of ${asked} reached verified TLS`;
  const valid = why === undefined;
  return { ...m, tool, asked, succeeded, rate: asked / (m.wallMs / 1000), valid, problem: why };
}

/**
 * Scans `list` (of `asked` domains) with mxtls; `nodeFlags` e.g. `--cpu-prof`; `tool` 'mxtls -P'
 * adds the command's `noPolicies` flag, for the same work as posttls-finger does.
 */
export async function runMxtls(command: MxtlsCommand, context: RunContext, list: string,
  asked: number, nodeFlags: string[] = [], tool: ToolName = 'mxtls'): Promise<ToolRun> {
  const extra = tool === 'mxtls -P' && command.noPolicies ? [command.noPolicies] : [];
  const counter = new LineCounter();
  // A file rather than a pipe to this process: a pipe would make the scan wait whenever this
  // process is slow to be scheduled, and `> file` costs the scan what `> /dev/null` does.
  const output = join(context.dir, 'mxtls-output.jsonl');
  const m = await measure({
    command: [process.execPath, ...nodeFlags, ...command.args(list, context), ...extra],
    timeFile: join(context.dir, 'time-mxtls.txt'),
    deadlineMs: context.deadlineMs,
    stdoutFile: output,
  });
  for await (const chunk of createReadStream(output)) counter.push(chunk as Buffer);
  counter.end();
  const bytes = statSync(output).size;
  rmSync(output, { force: true });
  const problem = m.exitCode !== 0 && m.exitCode !== 1
    ? `exit ${m.exitCode}: ${m.stderr.trim().slice(0, 300)}` : undefined;
  const run = finish(tool, asked, counter.verified, m, problem);
  return { ...run, outputBytes: bytes, stages: counter.stages() };
}

/** A main.cf for posttls-finger (MAIL_CONFIG) and a resolv.conf naming the lab's DNS server. */
export function writeFingerFiles(dir: string, dnsHost: string): { configDir: string;
  resolvConf: string; } {
  const configDir = join(dir, 'finger-config');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(join(configDir, 'main.cf'), [
    'compatibility_level = 3.6',
    // A fixed name, so that posttls-finger does not look up this machine's own name.
    'myhostname = bench.fleet.test',
    // Without this every invocation first asks DNS for the root NS to probe DNSSEC support.
    'dnssec_probe =',
    '',
  ].join('\n'));
  const resolvConf = join(dir, 'resolv.conf');
  writeFileSync(resolvConf, `nameserver ${dnsHost}\noptions timeout:2 attempts:2\n`);
  return { configDir, resolvConf };
}

/**
 * posttls-finger over the same domain list, `xargs -P concurrency`, summary mode (`-c`),
 * level verify (chain against `-F`, name against the MX host, as mxtls checks). libc finds the
 * lab's DNS server through a private resolv.conf bind-mounted in a private mount namespace.
 */
export async function runFinger(context: RunContext, list: string, asked: number,
  files: { configDir: string; resolvConf: string }): Promise<ToolRun> {
  let output = '';
  const script = 'mount --bind "$0" /etc/resolv.conf && exec xargs -a "$1" -P "$2" -n 1 ' +
    'posttls-finger -c -l verify -t 10 -T 10 -F "$3" 2>&1';
  const m = await measure({
    command: ['unshare', '-m', 'sh', '-c', script, files.resolvConf, list,
      String(context.concurrency), context.caFile],
    timeFile: join(context.dir, 'time-finger.txt'),
    deadlineMs: context.deadlineMs,
    env: { ...process.env, MAIL_CONFIG: files.configDir },
    onStdout: (chunk) => {
      output += chunk.toString('utf8');
    },
  });
  writeFileSync(join(context.dir, 'finger-output.txt'), output);
  const verified = count(output, /Verified TLS connection established/g);
  const tls = count(output, /TLS connection established/g);
  const problem = tls > verified ? `${tls - verified} sessions were TLS but not verified` :
    verified === 0 ? `no TLS session; it said: ${output.trim().slice(0, 300)}` : undefined;
  return finish('posttls-finger', asked, verified, m, problem);
}

/** The bare loop over the fleet's addresses, no DNS; `extra` adds steps (see bare-loop.ts). */
export async function runBare(context: RunContext, addresses: string, asked: number,
  extra: string[] = []): Promise<ToolRun> {
  let output = '';
  const m = await measure({
    command: [process.execPath, join(context.root, 'dist-bench/bench/bare-loop.js'), addresses,
      String(context.concurrency), context.caFile, ...extra],
    timeFile: join(context.dir, 'time-bare.txt'),
    deadlineMs: context.deadlineMs,
    onStdout: (chunk) => {
      output += chunk.toString('utf8');
    },
  });
  let ok = 0;
  let problem: string | undefined;
  try {
    const report = JSON.parse(output) as { ok: number; errors: Record<string, number> };
    ok = report.ok;
    if (ok < asked) problem = `failures: ${JSON.stringify(report.errors).slice(0, 300)}`;
  } catch {
    problem = `no report: ${m.stderr.trim().slice(0, 300)}`;
  }
  return finish('bare loop', asked, ok, m, problem);
}

function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}
