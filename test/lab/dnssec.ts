/**
 * A DNSSEC lab on loopback: Knot serves the test zones as an authoritative server and signs
 * them itself (automatic DNSSEC signing, one ECDSA P-256 key per zone), and Unbound validates
 * them as a recursive resolver that asks only Knot and trusts only the keys this lab hands it.
 * The AD bit that mxtls reads from Unbound is therefore earned, not set by a test server.
 *
 *   const lab = await startDnssecLab({ zones: [
 *     { name: 'good.test', records: ['@ MX 10 mx', 'mx A 127.0.40.11'] },
 *     { name: 'plain.test', records: [...], signed: false },
 *     { name: 'broken.test', records: [...], trust: 'wrong' },
 *   ] });
 *   createResolver({ server: lab.resolver });   // '127.0.40.2:53'
 *   await lab.stop();
 *
 * Nothing leaves loopback: every name outside the lab's zones is sent to Knot as well, which
 * refuses it, so Unbound never asks a root server.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One zone of the lab. Records are zone-file lines relative to the zone's origin. */
export interface LabZone {
  name: string;
  records: string[];
  /** Let Knot sign the zone. Default true. */
  signed?: boolean;
  /**
   * What Unbound is told about the zone's key: `valid` (its real DNSKEY), `wrong` (another
   * zone's key, so every answer is bogus and Unbound gives SERVFAIL), `none` (no anchor, so
   * answers are insecure). Default `valid` for signed zones, `none` for unsigned ones.
   */
  trust?: 'valid' | 'wrong' | 'none';
}

export interface DnssecLabOptions {
  zones: LabZone[];
  /** Knot's address. Default 127.0.40.1. */
  authAddress?: string;
  /** Unbound's address. Default 127.0.40.2. */
  resolverAddress?: string;
}

export interface DnssecLab {
  /** `IP:PORT` of the validating resolver, for `createResolver({ server })`. */
  resolver: string;
  /** `IP:PORT` of the authoritative server. */
  auth: string;
  /** The DNSKEY records (presentation format) each signed zone published. */
  keys: Record<string, string[]>;
  dir: string;
  /** Knot's and Unbound's logs, for a failing test's message. */
  logs(): string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 20_000;
const POLL_MS = 100;

/** Daemons still running; killed when the test process exits, however it exits. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Whether Knot, keymgr, kdig and Unbound are installed. */
export function dnssecLabAvailable(): boolean {
  return ['/usr/sbin/knotd', '/usr/bin/kdig', '/usr/sbin/unbound'].every((f) => existsSync(f));
}

/**
 * True when the DNSSEC suites can run. On a developer machine without the servers they skip;
 * in CI a missing server is an error, so the suites never silently do nothing there.
 */
export function requireDnssecLab(): boolean {
  if (dnssecLabAvailable()) return true;
  if (process.env.CI) {
    throw new Error('Cannot run the DNSSEC suites in CI: knot or unbound is not installed ' +
      '(run .ci/install-system)');
  }
  return false;
}

/** Starts Knot, waits for every signed zone's DNSKEY, then starts Unbound with the anchors. */
export async function startDnssecLab(options: DnssecLabOptions): Promise<DnssecLab> {
  const authAddress = options.authAddress ?? '127.0.40.1';
  const resolverAddress = options.resolverAddress ?? '127.0.40.2';
  const dir = mkdtempSync(join(tmpdir(), 'mxtls-dnssec-'));
  for (const sub of ['zones', 'db', 'run']) mkdirSync(join(dir, sub));
  const children: ChildProcess[] = [];
  const logs = (): string => ['knot.log', 'unbound.log', 'knotd.out', 'unbound.out']
    .map((f) => join(dir, f)).filter((f) => existsSync(f))
    .map((f) => `== ${f}\n${readFileSync(f, 'utf8')}`).join('\n');
  const stop = async (): Promise<void> => {
    await Promise.all(children.map(stopChild));
    if (process.env.MXTLS_LAB_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
  };

  try {
    for (const zone of options.zones) {
      writeFileSync(join(dir, 'zones', `${zone.name}.zone`), zoneFile(zone));
    }
    writeFileSync(join(dir, 'knot.conf'), knotConfig(dir, authAddress, options.zones));
    children.push(startDaemon('knotd', ['-c', join(dir, 'knot.conf')], join(dir, 'knotd.out')));

    const keys: Record<string, string[]> = {};
    for (const zone of options.zones) {
      if (zone.signed === false) continue;
      keys[zone.name] = await waitForKeys(authAddress, zone.name, children[0]);
    }
    writeFileSync(join(dir, 'unbound.conf'),
      unboundConfig(dir, resolverAddress, authAddress, options.zones, keys));
    children.push(startDaemon('unbound', ['-d', '-c', join(dir, 'unbound.conf')],
      join(dir, 'unbound.out')));
    await waitForUnbound(resolverAddress, options.zones[0]?.name ?? 'test', children[1],
      'answer');
    // Unbound fetches each zone's keys on first use; doing that here, before any test asks,
    // keeps a slow first key fetch on a loaded machine from turning into a cached failure.
    for (const zone of options.zones) {
      const trust = zone.trust ?? (zone.signed === false ? 'none' : 'valid');
      if (trust === 'valid') {
        await waitForUnbound(resolverAddress, zone.name, children[1], 'validation');
      }
    }
    return { resolver: `${resolverAddress}:53`, auth: `${authAddress}:53`, keys, dir, logs,
      stop };
  } catch (error) {
    const text = logs();
    await stop();
    throw new Error(`Cannot start the DNSSEC lab: ${(error as Error).message}\n${text}`);
  }
}

function zoneFile(zone: LabZone): string {
  return [
    `$ORIGIN ${zone.name}.`,
    '$TTL 300',
    `@ SOA ns.${zone.name}. hostmaster.${zone.name}. 1 3600 600 86400 300`,
    `@ NS ns.${zone.name}.`,
    'ns A 127.0.40.1',
    ...zone.records,
    '',
  ].join('\n');
}

function knotConfig(dir: string, address: string, zones: LabZone[]): string {
  return [
    'server:',
    `  rundir: "${join(dir, 'run')}"`,
    `  listen: ${address}@53`,
    '  udp-workers: 1',
    '  tcp-workers: 1',
    '  background-workers: 1',
    'log:',
    `  - target: "${join(dir, 'knot.log')}"`,
    '    any: info',
    'database:',
    `  storage: "${join(dir, 'db')}"`,
    'policy:',
    '  - id: lab',
    '    algorithm: ecdsap256sha256',
    // One combined key per zone: the lab has no parent zone to hold a DS, so the key is
    // handed to Unbound directly as a trust anchor.
    '    single-type-signing: on',
    '    nsec3: off',
    'template:',
    '  - id: default',
    `    storage: "${join(dir, 'zones')}"`,
    '    file: "%s.zone"',
    '    zonefile-sync: -1',
    '    journal-content: none',
    'zone:',
    ...zones.flatMap((zone) => [
      `  - domain: ${zone.name}`,
      ...(zone.signed === false ? [] : ['    dnssec-signing: on', '    dnssec-policy: lab']),
    ]),
    '',
  ].join('\n');
}

function unboundConfig(
  dir: string,
  address: string,
  auth: string,
  zones: LabZone[],
  keys: Record<string, string[]>,
): string {
  const anyKey = Object.values(keys).flat()[0];
  const anchors: string[] = [];
  for (const zone of zones) {
    const trust = zone.trust ?? (zone.signed === false ? 'none' : 'valid');
    if (trust === 'valid') {
      for (const key of keys[zone.name] ?? []) {
        anchors.push(`  trust-anchor: "${zone.name}. ${key}"`);
      }
    } else if (trust === 'wrong') {
      const other = Object.entries(keys).find(([name]) => name !== zone.name)?.[1][0] ?? anyKey;
      if (!other) throw new Error(`no other zone's key to mistrust ${zone.name} with`);
      anchors.push(`  trust-anchor: "${zone.name}. ${other}"`);
    }
  }
  return [
    'server:',
    `  interface: ${address}`,
    '  port: 53',
    '  do-ip6: no',
    '  do-daemonize: no',
    '  username: ""',
    '  chroot: ""',
    `  directory: "${dir}"`,
    `  pidfile: "${join(dir, 'unbound.pid')}"`,
    '  use-syslog: no',
    `  logfile: "${join(dir, 'unbound.log')}"`,
    '  verbosity: 1',
    '  val-log-level: 2',
    '  num-threads: 1',
    '  access-control: 127.0.0.0/8 allow',
    '  do-not-query-localhost: no',
    '  local-zone: "test." nodefault',
    '  module-config: "validator iterator"',
    // Short caches, so a test that changes nothing still never sees another run's answers.
    '  cache-max-ttl: 30',
    '  cache-max-negative-ttl: 30',
    // A validation failure is cached only briefly, so one slow answer cannot poison a suite.
    '  val-bogus-ttl: 5',
    ...anchors,
    ...zones.flatMap((zone) => ['stub-zone:', `  name: "${zone.name}"`,
      `  stub-addr: ${auth.replace(/:53$/, '')}@53`]),
    // Everything else goes to Knot too, which refuses it: no query ever reaches the internet.
    'stub-zone:',
    '  name: "."',
    `  stub-addr: ${auth.replace(/:53$/, '')}@53`,
    '',
  ].join('\n');
}

function startDaemon(command: string, args: string[], outFile: string): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const chunks: string[] = [];
  const keep = (data: Buffer): void => {
    chunks.push(data.toString('utf8'));
    writeFileSync(outFile, chunks.join(''));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (error) => keep(Buffer.from(`spawn error: ${error.message}\n`)));
  return child;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function kdig(server: string, name: string, type: string, extra: string[] = []): string {
  const result = spawnSync('kdig', [`@${server}`, '-p', '53', '+time=1', '+retry=0', ...extra,
    name, type], { encoding: 'utf8', timeout: 5000 });
  return result.stdout ?? '';
}

async function waitForKeys(
  server: string,
  zone: string,
  child: ChildProcess | undefined,
): Promise<string[]> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`knotd exited with ${child.exitCode}`);
    const keys = kdig(server, zone, 'DNSKEY', ['+short']).split('\n')
      .map((line) => line.trim()).filter((line) => /^\d+ 3 13 /.test(line));
    if (keys.length > 0) return keys.map((key) => `DNSKEY ${key}`);
    await sleep(POLL_MS);
  }
  throw new Error(`Knot published no DNSKEY for ${zone} within ${START_TIMEOUT_MS} ms`);
}

/**
 * Polls Unbound with a SOA query for `zone` until it is `wanted`: any status in kdig's output
 * means it answers, the AD flag that it validates the zone.
 */
async function waitForUnbound(
  server: string,
  zone: string,
  child: ChildProcess | undefined,
  wanted: 'answer' | 'validation',
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`unbound exited with ${child.exitCode}`);
    const ready = wanted === 'answer'
      ? /status: \w+/.test(kdig(server, zone, 'SOA'))
      : /flags:[^;]*\bad\b/i.test(kdig(server, zone, 'SOA', ['+dnssec']));
    if (ready) return;
    await sleep(POLL_MS);
  }
  throw new Error(wanted === 'answer'
    ? `Unbound did not answer within ${START_TIMEOUT_MS} ms`
    : `Unbound did not validate ${zone} within ${START_TIMEOUT_MS} ms`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
