/**
 * Private Postfix instances for integration tests: each one has its own directory (config,
 * queue, data, maillog, delivered mail), listens on the loopback addresses it is given and
 * never uses the system resolver. `startPostfix` returns a handle whose `stop()` waits for the
 * master to exit; instances a test forgot are stopped when the test process exits.
 *
 * A relay chain, partner -> inbound, read back from the inbound maildir:
 *   const inbound = await startPostfix({ addresses: ['127.0.10.21'], hostname: 'mx.in.test',
 *     tls: { chainFile: leaf.chainFile, keyFile: leaf.keyFile }, mailboxDomains: ['in.test'] });
 *   const partner = await startPostfix({ addresses: ['127.0.10.22'], hostname: 'out.p.test',
 *     relay: { nexthop: '127.0.10.21', tlsLevel: 'encrypt', caFile: ca.certFile } });
 *   afterAll(async () => { await partner.stop(); await inbound.stop(); });
 *   await submitMessage('127.0.10.22', { from: 'a@p.test', to: ['b@in.test'], message });
 *   const [delivered] = await waitForDelivery(inbound.inboxDir, { recipient: 'b@in.test' });
 *   delivered.received;   // Received field values, newest first
 *
 * Set MXTLS_LAB_KEEP=1 to keep the instance directories (and their maillogs) after stop().
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  instancePaths,
  renderMainCf,
  renderMasterCf,
  type RelayOptions,
  type ServerTls,
} from './postfix-config.js';
import { readGreeting, waitForListeners } from './listeners.js';
import { runCommand } from './run-command.js';
import { pollUntil } from './wait.js';

export type { PostfixProtocol, RelayOptions, ServerTls } from './postfix-config.js';

/** What a test asks of one instance. */
export interface PostfixOptions {
  /** Loopback addresses to listen on, port 25 (not 127.0.0.1, which others may use). */
  addresses: string[];
  /** myhostname. Default `mx.<first address with dashes>.test`. */
  hostname?: string;
  /** Server TLS; leave out for a server that does not offer STARTTLS. */
  tls?: ServerTls;
  /** Relay mail on to another instance. Default: no relaying. */
  relay?: RelayOptions;
  /** Domains delivered into the maildir `inboxDir`, any local part. Default none. */
  mailboxDomains?: string[];
  /** Bind the outgoing SMTP client to this address. Default: the first listen address. */
  bindAddress?: string;
  /** default_process_limit. Default Postfix's 100. */
  processLimit?: number;
  /** Extra main.cf parameters, applied last. */
  extra?: Record<string, string>;
  /** Connect to each listener and read its greeting before returning. Default: up to 8. */
  greetingCheck?: boolean;
}

/** A running instance. */
export interface PostfixInstance {
  dir: string;
  configDir: string;
  addresses: string[];
  hostname: string;
  maillogFile: string;
  /** The maildir that receives all mail for `mailboxDomains` (read it with waitForDelivery). */
  inboxDir: string;
  /** The whole maillog so far. */
  readLog(): string;
  /** Stops the master, waits for it to exit, and removes the directory (unless kept). */
  stop(): Promise<void>;
}

/** Start-up and stop waits, in ms. */
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

const running = new Set<{ configDir: string; queueDir: string }>();
let exitHookInstalled = false;

/** Starts one instance and waits until every listener accepts connections. */
export async function startPostfix(options: PostfixOptions): Promise<PostfixInstance> {
  for (const address of options.addresses) checkLabAddress(address);
  if (options.addresses.length === 0) throw new Error('Cannot start Postfix: no address given');
  const first = options.addresses[0] as string;
  const hostname = options.hostname ?? `mx.${first.replace(/\./g, '-')}.test`;
  const postfixUser = lookupPostfixUser();
  const dir = mkdtempSync(join(tmpdir(), 'mxtls-postfix-'));
  // Postfix daemons run as the postfix user and must reach the queue below this directory.
  chmodSync(dir, 0o755);
  const paths = instancePaths(dir);
  for (const d of [paths.configDir, paths.queueDir, paths.dataDir, paths.mailDir]) {
    mkdirSync(d, { recursive: true });
  }
  chownSync(paths.dataDir, postfixUser.uid, postfixUser.gid);
  chownSync(paths.mailDir, postfixUser.uid, postfixUser.gid);

  const extra = { smtp_bind_address: options.bindAddress ?? first, ...options.extra };
  writeFileSync(join(paths.configDir, 'main.cf'), renderMainCf({
    dir,
    addresses: options.addresses,
    hostname,
    tls: options.tls,
    relay: options.relay,
    mailboxDomains: options.mailboxDomains ?? [],
    mailUid: postfixUser.uid,
    mailGid: postfixUser.gid,
    processLimit: options.processLimit,
    extra,
  }));
  writeFileSync(join(paths.configDir, 'master.cf'), renderMasterCf(options.addresses));

  const entry = { configDir: paths.configDir, queueDir: paths.queueDir };
  installExitHook();
  running.add(entry);
  const instance: PostfixInstance = {
    dir,
    configDir: paths.configDir,
    addresses: [...options.addresses],
    hostname,
    maillogFile: paths.maillogFile,
    inboxDir: paths.inboxDir,
    readLog: () => readText(paths.maillogFile),
    stop: async () => {
      await stopInstance(paths.configDir, paths.queueDir);
      running.delete(entry);
      if (process.env.MXTLS_LAB_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    await runPostfixStart(paths.configDir, instance);
    await waitForListeners(options.addresses, 25, START_TIMEOUT_MS);
    const greet = options.greetingCheck ?? options.addresses.length <= 8;
    const checked = greet ? options.addresses : options.addresses.slice(0, 1);
    for (const address of checked) await readGreeting(address);
    await throwOnStartupErrors(instance, checked.length);
  } catch (error) {
    await instance.stop().catch(() => undefined);
    throw error;
  }
  return instance;
}

/**
 * Starts one instance that listens on many addresses (hundreds or thousands), all with the same
 * TLS setting; `tls` null means no STARTTLS. The file descriptor limit is raised to the hard
 * limit for the master, and only the first listener is greeted so that start-up does not fork
 * an smtpd per address.
 */
export async function startPostfixFleet(
  addresses: string[],
  tls: ServerTls | null,
  options: Omit<PostfixOptions, 'addresses' | 'tls'> = {},
): Promise<PostfixInstance> {
  return startPostfix({
    hostname: 'fleet.mxtls.test',
    processLimit: Math.max(100, Math.min(addresses.length * 2, 2000)),
    greetingCheck: false,
    ...options,
    addresses,
    tls: tls ?? undefined,
  });
}

/**
 * `count` loopback addresses for a fleet, 127.0.<third>.1-254 from `firstThird` on (default
 * 11, so that the fixed servers of 127.0.10.x stay apart). The lab owns 127.0.10-19.x.
 */
export function fleetAddresses(count: number, firstThird = 11): string[] {
  const addresses: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const third = firstThird + Math.floor(i / 254);
    if (third > 19) throw new Error(`Cannot make ${count} lab addresses from 127.0.${firstThird}`);
    addresses.push(`127.0.${third}.${(i % 254) + 1}`);
  }
  return addresses;
}

/** Rejects addresses that are not loopback, and 127.0.0.1, which the DNS test servers use. */
function checkLabAddress(address: string): void {
  const parts = address.split('.').map(Number);
  const ok = parts.length === 4 && parts[0] === 127 &&
    parts.every((p) => Number.isInteger(p) && p >= 0 && p <= 255);
  if (!ok || address === '127.0.0.1' || parts[3] === 0 || parts[3] === 255) {
    throw new Error(`Cannot start Postfix on "${address}": not a lab loopback address`);
  }
}

function lookupPostfixUser(): { uid: number; gid: number } {
  const result = spawnSync('id', ['-u', 'postfix'], { encoding: 'utf8' });
  const group = spawnSync('id', ['-g', 'postfix'], { encoding: 'utf8' });
  const uid = Number(result.stdout.trim());
  const gid = Number(group.stdout.trim());
  const found = result.status === 0 && group.status === 0;
  if (!found || !Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new Error('Cannot start Postfix: there is no "postfix" user (run .ci/install-system)');
  }
  return { uid, gid };
}

/** Whether Postfix is installed here; tests skip on developer machines without it. */
export function postfixAvailable(): boolean {
  return existsSync('/usr/sbin/postfix') && existsSync('/usr/sbin/posttls-finger');
}

async function runPostfixStart(configDir: string, instance: PostfixInstance): Promise<void> {
  // The master inherits the shell's limits: a fleet needs a descriptor per listener.
  const script = 'ulimit -n "$(ulimit -Hn)"; exec postfix -c "$1" start';
  const result = await runCommand('bash', ['-c', script, 'postfix-start', configDir], {
    timeoutMs: START_TIMEOUT_MS,
  });
  if (result.code !== 0) {
    throw new Error(
      `Cannot start Postfix in "${configDir}": exit ${result.code}\n` +
        `${result.stdout}${result.stderr}\n` +
        logProblems(instance.readLog()).join('\n'),
    );
  }
}

/**
 * Lines of a maillog that mean the instance is not what the test asked for. A healthy lab
 * instance logs no warning at all while it starts, so every warning counts: a missing
 * certificate file, for one, is only a warning and Postfix then offers STARTTLS that fails.
 */
function logProblems(log: string): string[] {
  return log.split('\n').filter((line) => /\b(warning|fatal|panic|error):/.test(line));
}

/**
 * Fails when the maillog shows a problem. postlogd writes the log a moment after the fact, and
 * an smtpd logs its TLS set-up problems before its first session, so the log is read only once
 * it holds the end of each greeting session.
 */
async function throwOnStartupErrors(instance: PostfixInstance, greetings: number): Promise<void> {
  const log = await pollUntil('see the greeting sessions in the maillog', () => {
    const text = instance.readLog();
    const ended = text.split('\n').filter((l) => /smtpd\[\d+\]: disconnect from /.test(l));
    return ended.length >= greetings ? text : undefined;
  }, { timeoutMs: 10_000, intervalMs: 50 });
  const problems = logProblems(log);
  if (problems.length > 0) {
    throw new Error(`Cannot use Postfix in "${instance.dir}":\n${problems.join('\n')}`);
  }
}

function masterPid(queueDir: string): number | undefined {
  const pid = Number(readText(join(queueDir, 'pid', 'master.pid')).trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopInstance(configDir: string, queueDir: string): Promise<void> {
  const pid = masterPid(queueDir);
  if (pid === undefined || !alive(pid)) return;
  await runCommand('postfix', ['-c', configDir, 'stop'], { timeoutMs: STOP_TIMEOUT_MS });
  // `postfix stop` returns before the master has gone; its listeners stay bound until then.
  try {
    await pollUntil(`stop the Postfix master ${pid}`, () => (alive(pid) ? undefined : true), {
      timeoutMs: STOP_TIMEOUT_MS,
    });
  } catch (error) {
    process.kill(pid, 'SIGKILL');
    throw error;
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test that crashed before its afterAll must not leave a master holding port 25.
  process.on('exit', () => {
    for (const { configDir, queueDir } of running) {
      const pid = masterPid(queueDir);
      if (pid === undefined || !alive(pid)) continue;
      spawnSync('postfix', ['-c', configDir, 'abort'], { stdio: 'ignore', timeout: 10_000 });
    }
  });
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
