/**
 * A fleet of small STARTTLS SMTP listeners on many loopback addresses, all on one port (a
 * probe run uses one SMTP port). Each listener's behaviour can be switched between runs
 * (STARTTLS on or off, certificate, highest TLS version, a delay before the greeting), and
 * each counts its connections: in all, open now, and the most open at once.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureVersion } from 'node:tls';
import { makeCa, makeLeaf, type TestCa, type TestLeaf } from './certs.js';
import { startDnsServer, type TestDnsServer, type Zone } from './dns-server.js';

/** How one listener answers; read at the start of each connection. */
export interface FleetBehaviour {
  /** Offer STARTTLS in the EHLO reply. Default true. */
  starttls: boolean;
  /** The certificate chain and key presented after STARTTLS. */
  leaf: TestLeaf;
  /** Highest TLS version offered. Default 'TLSv1.3'. */
  maxVersion: SecureVersion;
  /** Wait this long before the greeting, in ms, so that connections overlap. Default 0. */
  greetingDelayMs: number;
}

/** One listener of the fleet, with its switchable behaviour and its counters. */
export interface FleetListener {
  readonly address: string;
  behaviour: FleetBehaviour;
  /** Connections accepted in all. */
  connections: number;
  /** Connections open now. */
  live: number;
  /** The most connections open at once. */
  peak: number;
}

/** A running fleet. */
export interface SmtpFleet {
  readonly port: number;
  readonly listeners: Map<string, FleetListener>;
  /** The listener of `address`; throws for an address the fleet does not have. */
  at(address: string): FleetListener;
  /** The most connections open at once over the whole fleet. */
  readonly peak: number;
  /** Sets the counters of every listener back to zero. */
  resetCounts(): void;
  close(): Promise<void>;
}

const MAX_LINE = 2048;

/**
 * Starts one listener per address, all on the same free port (or `port`). The addresses must
 * be loopback; 127.0.0.0/8 needs no set-up on Linux.
 */
export async function startSmtpFleet(options: {
  addresses: string[];
  defaults: Omit<FleetBehaviour, 'starttls' | 'maxVersion' | 'greetingDelayMs'> &
    Partial<FleetBehaviour>;
  port?: number;
}): Promise<SmtpFleet> {
  const listeners = new Map<string, FleetListener>();
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const total = { live: 0, peak: 0 };
  const [first, ...rest] = options.addresses;
  if (first === undefined) throw new Error('Cannot start a fleet: no addresses');

  const start = async (address: string, port: number): Promise<number> => {
    const listener: FleetListener = {
      address,
      behaviour: { starttls: true, maxVersion: 'TLSv1.3', greetingDelayMs: 0, ...options.defaults },
      connections: 0,
      live: 0,
      peak: 0,
    };
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      serve(socket, listener, total);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, address, () => resolve());
    });
    listeners.set(address, listener);
    servers.push(server);
    const bound = server.address();
    return typeof bound === 'object' && bound ? bound.port : port;
  };

  const port = await start(first, options.port ?? 0);
  for (const address of rest) await start(address, port);

  return {
    port,
    listeners,
    get peak() {
      return total.peak;
    },
    at(address) {
      const listener = listeners.get(address);
      if (!listener) throw new Error(`No fleet listener on ${address}`);
      return listener;
    },
    resetCounts() {
      for (const l of listeners.values()) {
        l.connections = 0;
        l.peak = l.live;
      }
      total.peak = total.live;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      const closing = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
      await Promise.all(closing);
    },
  };
}

// One SMTP session: greeting, EHLO/HELO, STARTTLS (once), QUIT; anything else is refused.
function serve(
  socket: Socket,
  listener: FleetListener,
  total: { live: number; peak: number },
): void {
  listener.connections += 1;
  listener.live += 1;
  listener.peak = Math.max(listener.peak, listener.live);
  total.live += 1;
  total.peak = Math.max(total.peak, total.live);
  let open = true;
  let ended = false;
  // A session counts as over at QUIT: the client may be done with it before the close
  // reaches this side, and its next connection must not count as overlapping.
  const endSession = (): void => {
    if (ended) return;
    ended = true;
    listener.live -= 1;
    total.live -= 1;
  };
  socket.once('close', () => {
    open = false;
    endSession();
  });
  socket.on('error', () => socket.destroy());
  const behaviour = { ...listener.behaviour };
  let stream: Socket | TLSSocket = socket;
  let secure = false;
  let buffer = '';

  const reply = (text: string): void => {
    if (open) stream.write(text);
  };

  const onLine = (line: string): void => {
    const verb = line.slice(0, 8).split(' ')[0]?.toUpperCase() ?? '';
    if (verb === 'EHLO') {
      const offer = behaviour.starttls && !secure ? '250-STARTTLS\r\n' : '';
      reply(`250-fleet ${listener.address}\r\n250-PIPELINING\r\n${offer}250 8BITMIME\r\n`);
    } else if (verb === 'HELO') {
      reply(`250 fleet ${listener.address}\r\n`);
    } else if (verb === 'STARTTLS' && behaviour.starttls && !secure) {
      reply('220 2.0.0 Ready to start TLS\r\n');
      upgrade();
    } else if (verb === 'QUIT') {
      endSession();
      reply('221 2.0.0 Bye\r\n');
      stream.end();
    } else {
      reply('502 5.5.2 Not here\r\n');
    }
  };

  const onData = (chunk: Buffer): void => {
    buffer += chunk.toString('latin1');
    let end = buffer.indexOf('\r\n');
    while (end >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      onLine(line);
      if (stream !== socket && !secure) return;
      end = buffer.indexOf('\r\n');
    }
    if (buffer.length > MAX_LINE) {
      reply('500 5.5.6 Line too long\r\n');
      socket.destroy();
    }
  };

  const upgrade = (): void => {
    socket.off('data', onData);
    // Whatever the client sent after STARTTLS and before the handshake is thrown away.
    buffer = '';
    const context = createSecureContext({
      key: behaviour.leaf.keyPem,
      cert: behaviour.leaf.chainPem,
      minVersion: 'TLSv1.2',
      maxVersion: behaviour.maxVersion,
    });
    const tlsSocket = new TLSSocket(socket, { isServer: true, secureContext: context });
    stream = tlsSocket;
    tlsSocket.on('error', () => socket.destroy());
    tlsSocket.once('secure', () => {
      secure = true;
    });
    tlsSocket.on('data', onData);
  };

  socket.on('data', onData);
  setTimeout(() => reply(`220 fleet ${listener.address} ESMTP\r\n`), behaviour.greetingDelayMs);
}

/** Test domains and the fleet and DNS server that answer for them. */
export interface BulkLab {
  fleet: SmtpFleet;
  dns: TestDnsServer;
  ca: TestCa;
  /** Presented by every listener by default: `*.lab.test` and `mx.big.test`. */
  leaf: TestLeaf;
  /** A certificate for another name, to make verification fail. */
  wrongLeaf: TestLeaf;
  /** Domains whose one MX is `mx.big.test` on 127.0.30.1. */
  bigDomains: string[];
  /** Domains each with an MX of its own, spread over 127.0.30.2-9. */
  ownDomains: string[];
  /** The address of an own domain's MX. */
  addressOf(domain: string): string;
  close(): Promise<void>;
}

/** The fleet's addresses: 127.0.30.1 for the big provider, .2-.9 for the others. */
export const LAB_ADDRESSES = Array.from({ length: 9 }, (_, i) => `127.0.30.${i + 1}`);

/** Starts a lab of `big` domains sharing one MX and `own` domains with their own MX hosts. */
export async function startBulkLab(counts: { big: number; own: number }): Promise<BulkLab> {
  const ca = makeCa('mxtls bulk lab CA');
  const leaf = makeLeaf(ca, { names: ['*.lab.test', 'mx.big.test'], label: 'fleet' });
  const wrongLeaf = makeLeaf(ca, { names: ['elsewhere.test'], label: 'wrong' });
  const fleet = await startSmtpFleet({ addresses: LAB_ADDRESSES, defaults: { leaf } });
  const zone: Zone = { 'mx.big.test': { A: ['127.0.30.1'] } };
  const bigDomains = Array.from({ length: counts.big }, (_, i) => `big${i}.test`);
  const ownDomains = Array.from({ length: counts.own }, (_, i) => `own${i}.test`);
  const addressOf = (domain: string): string => {
    const i = Number(domain.replace(/^own(\d+)\.test$/, '$1'));
    return `127.0.30.${2 + (i % 8)}`;
  };
  for (const domain of bigDomains) {
    zone[domain] = { MX: [{ preference: 10, exchange: 'mx.big.test' }] };
  }
  for (const domain of ownDomains) {
    const host = `mx-${domain.replace('.test', '')}.lab.test`;
    zone[domain] = { MX: [{ preference: 10, exchange: host }] };
    zone[host] = { A: [addressOf(domain)] };
  }
  const dns = await startDnsServer({ zone });
  return {
    fleet,
    dns,
    ca,
    leaf,
    wrongLeaf,
    bigDomains,
    ownDomains,
    addressOf,
    async close() {
      await fleet.close();
      await dns.close();
    },
  };
}
