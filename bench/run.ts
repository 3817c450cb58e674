/**
 * `npm run bench`: mxtls against posttls-finger and against the machine's bare handshake rate,
 * on one fleet of real Postfix TLS listeners on loopback, at one concurrency, in one run; then
 * the peak memory of a scan of a long list whose domains share the fleet's hosts. See
 * bench/options.ts for the flags. Everything started here is stopped on exit, error or Ctrl-C.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { formatProfile, summariseProfile } from './cpuprofile.js';
import {
  DNS_HOST,
  fleetListeners,
  makeFleetCerts,
  startDnsChild,
  startFleet,
  writeAddressList,
  writeDomainList,
  type DnsChild,
  type Fleet,
} from './lab.js';
import { killCurrent } from './measure.js';
import { parseOptions, USAGE, type BenchOptions } from './options.js';
import { cpuLine, formatRun, machineBusy, ratioLine, type CpuSample } from './report.js';
import {
  mxtlsCommand,
  runBare,
  runFinger,
  runMxtls,
  writeFingerFiles,
  type RunContext,
  type ToolName,
  type ToolRun,
} from './tools.js';

/** The repository root: dist-bench/bench/run.js is two levels below it. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const TARGET_VS_FINGER = 3;
const TARGET_VS_BARE = 0.7;
const TARGET_MEMORY_MB = 200;

const cleanups: (() => Promise<void> | void)[] = [];
let interrupted = false;

/** Ends the benchmark between two steps once Ctrl-C has been pressed. */
function checkInterrupt(): void {
  if (interrupted) throw new Error('Interrupted');
}

function mib(kib: number): string {
  return `${(kib / 1024).toFixed(0)} MiB`;
}

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

async function cleanup(): Promise<void> {
  killCurrent();
  while (cleanups.length > 0) {
    const step = cleanups.pop() as () => Promise<void> | void;
    try {
      await step();
    } catch (error) {
      process.stderr.write(`bench: clean-up step failed: ${String(error)}\n`);
    }
  }
}

async function bench(options: BenchOptions): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), 'mxtls-bench-'));
  cleanups.push(() => {
    if (options.keep) say(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });
  say(`mxtls bench: ${options.hosts} hosts, concurrency ${options.concurrency}, ` +
    `${options.rounds} round(s), memory run ${options.domainsMemory} domains`);
  say(`machine: ${cpus().length} cores, node ${process.version}, load average ` +
    `${loadavg().map((l) => l.toFixed(2)).join(' ')} before start`);

  const certs = makeFleetCerts(join(dir, 'certs'));
  let started = performance.now();
  const fleet: Fleet = await startFleet(options.hosts, certs);
  cleanups.push(() => fleet.stop());
  checkInterrupt();
  say(`fleet: one Postfix on 127.20.0.1 … (${options.hosts} listeners, ECDSA P-256 wildcard ` +
    `*.fleet.test) up in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  started = performance.now();
  const zoneDomains = Math.max(options.hosts, options.domainsMemory);
  const dns: DnsChild = await startDnsChild(join(ROOT, 'dist-bench/bench/dns-child.js'),
    options.hosts, zoneDomains);
  cleanups.push(() => dns.stop());
  checkInterrupt();
  say(`dns: dns2 test server on ${dns.address} in its own process, ${zoneDomains} domains, ` +
    `up in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const list = join(dir, 'domains.txt');
  const addresses = join(dir, 'addresses.txt');
  writeDomainList(list, options.hosts);
  writeAddressList(addresses, options.hosts);
  const fingerFiles = writeFingerFiles(dir, DNS_HOST);
  const context: RunContext = {
    root: ROOT,
    dir,
    caFile: certs.caFile,
    resolver: dns.address,
    concurrency: options.concurrency,
    deadlineMs: Math.max(120_000, options.hosts * 200),
  };
  const mxtls = mxtlsCommand(ROOT, options.forceDriver);
  say(`mxtls runs as ${mxtls.describe}`);

  // Every listener forks its smtpd on its first connection; a first pass pays that for all.
  const warm = await runBare(context, addresses, options.hosts);
  say(`warm-up (bare loop, not counted): ${warm.succeeded}/${warm.asked} in ` +
    `${(warm.wallMs / 1000).toFixed(2)} s${warm.valid ? '' : ` — ${warm.problem}`}`);
  checkInterrupt();
  if (!warm.valid) throw new Error('Cannot benchmark: the fleet did not answer the warm-up');

  // What a process costs before its first host: the same commands over an empty list.
  const empty = join(dir, 'empty.txt');
  writeDomainList(empty, 0);
  const startMxtls = await runMxtls(mxtls, context, empty, 0);
  const startBare = await runBare(context, empty, 0);
  say(`start-up and exit over an empty list: mxtls ${startMxtls.wallMs.toFixed(0)} ms ` +
    `(${mib(startMxtls.maxRssKib)}), bare loop ${startBare.wallMs.toFixed(0)} ms`);

  say();
  say('throughput (wall time of the whole process, start-up included):');
  const runs: ToolRun[] = [];
  // 'mxtls -P' leaves out the policy checks (MTA-STS, TLS-RPT, DANE: three more lookups per
  // domain), which posttls-finger at level verify does not make either.
  const order: ToolName[] = mxtls.noPolicies === undefined
    ? ['mxtls', 'posttls-finger', 'bare loop']
    : ['mxtls', 'posttls-finger', 'mxtls -P', 'bare loop'];
  if (mxtls.noPolicies !== undefined) say(`  mxtls -P = mxtls with ${mxtls.noPolicies}`);
  for (let round = 0; round < options.rounds; round += 1) {
    // Each round starts with another tool, so that no tool always follows the same one.
    for (let i = 0; i < order.length; i += 1) {
      const tool = order[(i + round) % order.length] as ToolName;
      checkInterrupt();
      const before: CpuSample = machineBusy();
      const dnsBefore = dns.cpuSeconds();
      const run = tool === 'mxtls' || tool === 'mxtls -P'
        ? await runMxtls(mxtls, context, list, options.hosts, [], tool)
        : tool === 'posttls-finger' ? await runFinger(context, list, options.hosts, fingerFiles)
        : await runBare(context, addresses, options.hosts);
      runs.push(run);
      say(formatRun(round + 1, run, before, dns.cpuSeconds() - dnsBefore));
    }
  }

  checkInterrupt();
  const best = (tool: ToolName): ToolRun | undefined => runs.filter((r) => r.tool === tool &&
    r.valid).sort((a, b) => b.rate - a.rate)[0];
  const [m, f, b] = [best('mxtls'), best('posttls-finger'), best('bare loop')];
  say();
  say('best valid round of each:');
  const vsFinger = ratioLine('mxtls / posttls-finger', m, f, TARGET_VS_FINGER);
  const vsBare = ratioLine('mxtls / bare loop', m, b, TARGET_VS_BARE);
  say(vsFinger.line);
  say(vsBare.line);
  const p = best('mxtls -P');
  if (p !== undefined) {
    say(ratioLine('mxtls -P / posttls-finger', p, f, TARGET_VS_FINGER).line);
    say(ratioLine('mxtls -P / bare loop', p, b, TARGET_VS_BARE).line);
  }
  say(cpuLine([m, p, f, b]));
  if (m !== undefined && b !== undefined) {
    // Start-up is a fixed cost that a longer list spreads thinner; this is the rate without it.
    const rate = (run: ToolRun, startMs: number): number =>
      run.asked / ((run.wallMs - startMs) / 1000);
    const [mRate, bRate] = [rate(m, startMxtls.wallMs), rate(b, startBare.wallMs)];
    say(`  without start-up: mxtls ${mRate.toFixed(1)}, bare loop ${bRate.toFixed(1)} hosts/s, ` +
      `mxtls / bare loop = ${(mRate / bRate).toFixed(2)}` + (p === undefined ? ''
      : `, mxtls -P / bare loop = ${(rate(p, startMxtls.wallMs) / bRate).toFixed(2)}`));
  }

  let memoryPass = true;
  checkInterrupt();
  if (options.domainsMemory > 0) {
    say();
    const memoryList = join(dir, 'memory-domains.txt');
    writeDomainList(memoryList, options.domainsMemory);
    const dnsBefore = dns.cpuSeconds();
    const before = machineBusy();
    const memoryContext = { ...context, deadlineMs: Math.max(300_000, options.domainsMemory * 10) };
    const measured = await runMxtls(mxtls, memoryContext, memoryList, options.domainsMemory);
    // Most domains here reuse a host's result, so per-stage means would describe the few
    // probes, not the domains.
    const run = { ...measured, stages: undefined };
    const dnsCpu = dns.cpuSeconds() - dnsBefore;
    const peakMb = (run.maxRssKib * 1024) / 1e6;
    memoryPass = run.valid && peakMb < TARGET_MEMORY_MB;
    say(`memory: ${options.domainsMemory} domains over ${options.hosts} hosts`);
    say(formatRun(1, run, before, dnsCpu, 'domain'));
    say(`  peak RSS ${peakMb.toFixed(1)} MB against < ${TARGET_MEMORY_MB} MB: ` +
      `${memoryPass ? 'PASS' : 'FAIL'}; DNS server busy ` +
      `${((100 * dnsCpu) / (run.wallMs / 1000)).toFixed(0)} % of one core, its peak RSS ` +
      `${(dns.peakRssKib() / 1024).toFixed(0)} MiB (not counted)`);
  }

  const speedPass = vsFinger.pass && vsBare.pass;
  checkInterrupt();
  const wantProfile = options.profile === 'always' || (options.profile === 'auto' && !speedPass);
  if (wantProfile) {
    say();
    say(`the bare loop with one step of mxtls added at a time (best of ${options.rounds}, ` +
      'interleaved, same fleet):');
    const variants: [string, string[]][] = [
      ['bare loop', []],
      ['+ EHLO after TLS', ['--ehlo-tls']],
      ['+ DNS (MX, A, AAAA)', ['--dns', dns.address]],
      ['+ both', ['--ehlo-tls', '--dns', dns.address]],
    ];
    const bestOf = new Map<string, ToolRun>();
    for (let round = 0; round < options.rounds; round += 1) {
      for (const [label, extra] of variants) {
        checkInterrupt();
        const run = await runBare(context, addresses, options.hosts, extra);
        const known = bestOf.get(label);
        if (run.valid && (known === undefined || run.rate > known.rate)) bestOf.set(label, run);
      }
    }
    const base = bestOf.get('bare loop')?.rate;
    for (const [label] of variants) {
      const run = bestOf.get(label);
      if (run === undefined || base === undefined) {
        say(`  ${label.padEnd(20)} no valid run`);
        continue;
      }
      say(`  ${label.padEnd(20)} ${run.rate.toFixed(1).padStart(7)} hosts/s  ` +
        `${(run.rate / base).toFixed(2)} of the bare loop  cpu ` +
        `${((1000 * run.cpuSeconds) / run.asked).toFixed(2)} ms/host`);
    }
    say();
    const profileDir = join(dir, 'profile');
    mkdirSync(profileDir, { recursive: true });
    const run = await runMxtls(mxtls, context, list, options.hosts,
      ['--cpu-prof', '--cpu-prof-dir', profileDir]);
    say(`cpu profile of one more mxtls run (${run.succeeded}/${run.asked} verified, ` +
      `${run.rate.toFixed(0)} hosts/s under the profiler):`);
    const files = readdirSync(profileDir).map((name) => join(profileDir, name))
      .sort((x, y) => statSync(y).size - statSync(x).size);
    if (files[0] === undefined) say('  no profile was written');
    else say(formatProfile(summariseProfile(files[0], 15)));
  }

  say();
  const all = speedPass && memoryPass;
  say(`result: ${all ? 'PASS' : 'FAIL'} (vs posttls-finger ${vsFinger.pass ? 'pass' : 'fail'}, ` +
    `vs bare ${vsBare.pass ? 'pass' : 'fail'}, memory ${memoryPass ? 'pass' : 'fail'})`);
  return all;
}

async function main(): Promise<void> {
  let options: BenchOptions | 'help';
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (options === 'help') {
    say(USAGE);
    return;
  }
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`bench: ${signal}, stopping the fleet and the DNS server\n`);
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const pass = await bench(options);
    process.exitCode = pass ? 0 : 1;
  } catch (error) {
    if (interrupted) return;
    process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 2;
  } finally {
    if (!interrupted) await cleanup();
    const left = fleetListeners();
    if (left > 0) say(`warning: ${left} listener(s) still on 127.20.x.y:25 after clean-up`);
  }
}

void main();
