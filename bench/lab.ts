/**
 * The benchmark's lab: the names and addresses of the fleet, its certificates, the Postfix
 * fleet itself and the DNS server (in a child process, so that its memory and its CPU time
 * are nobody's but its own). Everything lives on 127.20.0.0/16 (the fleet) and 127.21.0.0/16
 * (the DNS server); nothing here resolves a real name.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { makeCa, makeLeaf } from '../test/helpers/certs.js';
import { startPostfixFleet, type PostfixInstance } from '../test/lab/postfix.js';
import { instancePaths } from '../test/lab/postfix-config.js';

/** The DNS server's address: port 53, because a resolv.conf cannot name another port. */
export const DNS_HOST = '127.21.0.53';
export const DNS_PORT = 53;

/** The zone's parent: every name of the lab ends in it. */
export const FLEET_ZONE = 'fleet.test';

/** The address of listener `index` (0-based): 127.20.0.1 … 127.20.0.254, 127.20.1.1 … */
export function fleetAddress(index: number): string {
  return `127.20.${Math.floor(index / 254)}.${(index % 254) + 1}`;
}

/** The MX host name of listener `index`. */
export function mxName(index: number): string {
  return `mx${index}.${FLEET_ZONE}`;
}

/** Domain `index`; its MX is listener `index mod hosts`. */
export function domainName(index: number): string {
  return `d${index}.${FLEET_ZONE}`;
}

/** Writes `count` domain names, one a line, to `file`. */
export function writeDomainList(file: string, count: number): void {
  const lines: string[] = [];
  for (let i = 0; i < count; i += 1) lines.push(domainName(i));
  writeFileSync(file, lines.join('\n') + '\n');
}

/** Writes the fleet's addresses, one a line, for the bare loop. */
export function writeAddressList(file: string, hosts: number): void {
  const lines: string[] = [];
  for (let i = 0; i < hosts; i += 1) lines.push(`${fleetAddress(i)} ${mxName(i)}`);
  writeFileSync(file, lines.join('\n') + '\n');
}

export interface FleetCerts {
  caFile: string;
  chainFile: string;
  keyFile: string;
  dir: string;
}

/** An ECDSA P-256 CA and one wildcard leaf that every `mxN.fleet.test` matches. */
export function makeFleetCerts(dir: string): FleetCerts {
  const ca = makeCa('mxtls bench CA', 'ec256', join(dir, 'ca'));
  const leaf = makeLeaf(ca, { names: [`*.${FLEET_ZONE}`], keyType: 'ec256', label: 'fleet' });
  return { caFile: ca.certFile, chainFile: leaf.chainFile, keyFile: leaf.keyFile, dir: ca.dir };
}

/** A running fleet and the pid of its master, for a stop that makes sure. */
export interface Fleet {
  instance: PostfixInstance;
  masterPid: number | undefined;
  /** Stops the instance; a master that outlives `stop()` is sent SIGTERM, then SIGKILL. */
  stop(): Promise<void>;
}

/**
 * Starts one Postfix that listens on the first `hosts` fleet addresses with STARTTLS. Refuses
 * to start while anything listens on port 25 of 127.20.0.0/16: Postfix may share a port with
 * a server left over (SO_REUSEPORT), and the kernel would then split the sessions between the
 * two, certificates and all.
 */
export async function startFleet(hosts: number, certs: FleetCerts): Promise<Fleet> {
  const stale = fleetListeners();
  if (stale > 0) {
    throw new Error(`Cannot start the fleet: ${stale} listener(s) on 127.20.x.y:25 already`);
  }
  const addresses = Array.from({ length: hosts }, (_, i) => fleetAddress(i));
  const instance = await startPostfixFleet(addresses,
    { chainFile: certs.chainFile, keyFile: certs.keyFile }, {
      // Per-session TLS log lines cost the server CPU the clients share; they add nothing.
      extra: { smtpd_tls_loglevel: '0' },
    });
  const pidText = readText(join(instancePaths(instance.dir).queueDir, 'pid', 'master.pid'));
  const masterPid = Number(pidText.trim()) > 0 ? Number(pidText.trim()) : undefined;
  return {
    instance,
    masterPid,
    stop: async () => {
      try {
        await instance.stop();
      } finally {
        if (masterPid !== undefined) await ensureGone(masterPid);
      }
    },
  };
}

/** Sockets listening on port 25 of 127.20.0.0/16, from /proc/net/tcp. */
export function fleetListeners(): number {
  let count = 0;
  for (const line of readText('/proc/net/tcp').split('\n').slice(1)) {
    const [, local, , state] = line.trim().split(/\s+/);
    // Host byte order (little-endian): 127.20.x.y reads as yyxx147F; port 25 is 0019.
    if (state === '0A' && local !== undefined && /^[0-9A-F]{4}147F:0019$/.test(local)) count += 1;
  }
  return count;
}

async function ensureGone(pid: number): Promise<void> {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    if (!alive(pid)) return;
    process.stderr.write(`bench: the fleet's master ${pid} outlived its stop; sending ${signal}\n`);
    process.kill(pid, signal);
    for (let i = 0; i < 50 && alive(pid); i += 1) await sleep(100);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** A DNS server running in a child process. */
export interface DnsChild {
  /** `IP:PORT`, for `--resolver`. */
  address: string;
  /** Resident memory of the server process, in KiB, from /proc. */
  peakRssKib(): number;
  /** User and system CPU seconds the server has used so far. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/**
 * Forks bench/dns-child.js with a zone of `domains` domains over `hosts` MX hosts and waits
 * for it to listen. The child exits on its own when this process goes away (IPC closes).
 */
export async function startDnsChild(script: string, hosts: number, domains: number):
Promise<DnsChild> {
  const child = fork(script, [String(hosts), String(domains), DNS_HOST, String(DNS_PORT)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('Cannot start the DNS server: not ready within 60000 ms'));
    }, 60_000);
    child.once('message', (message) => {
      clearTimeout(timer);
      if (message === 'ready') resolve();
      else reject(new Error(`Cannot start the DNS server: ${String(message)}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Cannot start the DNS server: it exited with ${code}`));
    });
  });
  return {
    address: `${DNS_HOST}:${DNS_PORT}`,
    peakRssKib: () => (child.pid === undefined ? 0 : statusField(child.pid, 'VmHWM')),
    cpuSeconds: () => (child.pid === undefined ? 0 : cpuSeconds(child.pid)),
    stop: () => stopChild(child),
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** A `kB` field of /proc/PID/status (VmRSS, VmHWM), or 0 once the process is gone. */
export function statusField(pid: number, field: string): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** utime + stime of a process, from /proc/PID/stat (in clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces; the fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}
