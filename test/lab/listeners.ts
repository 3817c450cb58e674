/**
 * Checks that lab servers really listen: LISTEN sockets from /proc/net/tcp, and a greeting
 * read over a real connection.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { pollUntil } from './wait.js';

/** Waits until every address has a socket listening on `port` (bounded by `timeoutMs`). */
export async function waitForListeners(
  addresses: string[],
  port: number,
  timeoutMs: number,
): Promise<void> {
  const wanted = new Set(addresses);
  await pollUntil(`see ${addresses.length} address(es) listen on port ${port}`, () => {
    const listening = listeningAddresses(port);
    for (const a of wanted) if (!listening.has(a)) return undefined;
    return true;
  }, { timeoutMs, intervalMs: 100 });
}

/**
 * IPv4 addresses with a socket in LISTEN state on `port`, from /proc/net/tcp: cheaper than a
 * connection per address, which would fork an smtpd for each listener of a fleet.
 */
export function listeningAddresses(port: number): Set<string> {
  const wantedPort = port.toString(16).toUpperCase().padStart(4, '0');
  const found = new Set<string>();
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    if (fields[3] !== '0A' || local === undefined) continue;
    const [hexAddress, hexPort] = local.split(':');
    if (hexPort !== wantedPort || hexAddress === undefined) continue;
    // /proc prints the address in host byte order: little-endian on every machine we run on.
    const bytes = hexAddress.match(/../g)?.map((b) => parseInt(b, 16)).reverse() ?? [];
    found.add(bytes.join('.'));
  }
  return found;
}

/** Connects, waits for the 220 greeting and says QUIT; proves smtpd really serves. */
export async function readGreeting(address: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host: address, port: 25 });
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`Cannot read the greeting of ${address}:25: none within 20000 ms`));
    }, 20_000);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (!/\r?\n$/.test(text)) return;
      clearTimeout(timer);
      socket.end('QUIT\r\n');
      if (text.startsWith('220')) resolve();
      else reject(new Error(`Cannot use ${address}:25: greeting "${text.trim()}"`));
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`Cannot connect to ${address}:25: ${error.message}`));
    });
  });
}
