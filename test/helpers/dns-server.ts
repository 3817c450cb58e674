/**
 * A DNS server for tests and benchmarks, serving a zone given as a plain object over UDP and
 * TCP on one loopback port. It acts as a recursive resolver would toward mxtls: it follows
 * CNAMEs inside its zone, answers NXDOMAIN for names it does not hold and NODATA for a name
 * without the asked type (or with only names below it, like `_tcp.mx1.example.test`), and
 * truncates UDP answers (TC=1) that do not fit 512 bytes or the client's EDNS payload size.
 *
 *   const dns = await startDnsServer({ zone: {
 *     'example.test': { MX: [{ preference: 10, exchange: 'mx1.example.test' }] },
 *     'mx1.example.test': { A: ['127.0.10.1'], AAAA: ['::1'] },
 *     'alias.example.test': { CNAME: 'mx1.example.test' },
 *     'spf.example.test': { TXT: [['v=spf1 ', '-all']] },
 *     'broken.example.test': { servfail: true },
 *   } });
 *   const resolver = createResolver({ server: dns.address });   // '127.0.0.1:PORT'
 *   ...
 *   dns.setZone(newZone);   // later answers come from the new zone
 *   dns.queries;            // [{ name: 'example.test', type: 'MX', transport: 'udp' }, ...]
 *   await dns.close();
 *
 * Per name: `servfail`, `refused` or `drop` (never answer) make the name fail; `truncateUdp`
 * answers every UDP query with TC=1 so that the client must use TCP; `authenticated` sets the
 * AD bit; `hook` may answer a query with raw bytes of its own (or 'drop'), for malformed or
 * hand-made responses. Names are matched case-insensitively, without the trailing dot.
 */
import type { RemoteInfo } from 'node:dgram';
import { isIPv6, type Socket } from 'node:net';

import dns2 from 'dns2';

const { Packet } = dns2;

/** The records and behaviour of one name. */
export interface ZoneEntry {
  A?: string[];
  AAAA?: string[];
  MX?: { preference: number; exchange: string }[];
  /** The name is an alias of this target. */
  CNAME?: string;
  /** Each record is a list of character-strings (each at most 255 bytes). */
  TXT?: string[][];
  /** `data` as a Buffer or a hex string. */
  TLSA?: { usage: number; selector: number; matchingType: number; data: Buffer | string }[];
  /** TTL of every record of the name. Default 300. */
  ttl?: number;
  servfail?: boolean;
  refused?: boolean;
  /** Never answer: the client times out. */
  drop?: boolean;
  /** Answer UDP queries with TC=1 and no records, so that the client repeats over TCP. */
  truncateUdp?: boolean;
  /** Set the AD bit, as a validating resolver does for signed data. */
  authenticated?: boolean;
  /** Takes over the answer: a Buffer is sent as it is, 'drop' sends nothing, undefined goes on. */
  hook?: (query: HookQuery) => Buffer | 'drop' | undefined;
}

/** The zone: names (any case, trailing dot optional) to their entries. */
export type Zone = Record<string, ZoneEntry>;

/** What a hook is told about the query it may answer. */
export interface HookQuery extends LoggedQuery {
  /** The query's id, to copy into a hand-made response. */
  id: number;
}

/** One query the server received. */
export interface LoggedQuery {
  /** Normalised: lower case, no trailing dot. */
  name: string;
  /** 'A', 'MX', ... or the type number for types this server does not name. */
  type: string;
  transport: 'udp' | 'tcp';
}

export interface DnsServerOptions {
  /** Default 127.0.0.1. */
  address?: string;
  /** Default 0: a random free port, the same for UDP and TCP. */
  port?: number;
  zone: Zone;
  /** Follow CNAMEs inside the zone as a recursive resolver does. Default true. */
  followCnames?: boolean;
}

export interface TestDnsServer {
  /** `IP:PORT` (`[v6]:PORT`), usable as `--resolver` and as `createResolver({ server })`. */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** Every query in arrival order (the most recent 200,000). */
  readonly queries: LoggedQuery[];
  /** Replaces the zone; queries after the call get the new answers. */
  setZone(zone: Zone): void;
  close(): Promise<void>;
}

const TYPES = { A: 1, CNAME: 5, MX: 15, TXT: 16, AAAA: 28, TLSA: 52 } as const;
const TYPE_NAMES = new Map<number, string>(Object.entries(TYPES).map(([n, code]) => [code, n]));
const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 };
const MAX_LOGGED = 200_000;
const MAX_CNAME_HOPS = 8;

type Packet = InstanceType<typeof Packet>;

/** Starts the server; resolves once UDP and TCP both listen on the same port. */
export async function startDnsServer(options: DnsServerOptions): Promise<TestDnsServer> {
  const host = options.address ?? '127.0.0.1';
  const followCnames = options.followCnames ?? true;
  let zone = indexZone(options.zone);
  const queries: LoggedQuery[] = [];

  const handle = (request: Packet, transport: 'udp' | 'tcp', reply: Reply) => {
    const question = request.questions[0];
    if (!question) return;
    const name = normalize(question.name);
    const type = TYPE_NAMES.get(question.type) ?? String(question.type);
    const query: LoggedQuery = { name, type, transport };
    queries.push(query);
    if (queries.length > MAX_LOGGED) queries.splice(0, queries.length - MAX_LOGGED);

    const entry = zone.get(name);
    const hooked = entry?.hook?.({ ...query, id: request.header.id });
    if (hooked === 'drop' || entry?.drop) return;
    if (hooked) return reply.raw(hooked);

    const response = Packet.createResponseFromRequest(request);
    response.header.ra = 1;
    const header = response.header as typeof response.header & { ad?: number };
    const edns = (request.additionals as { type: number }[]).some((r) => r.type === 41);
    if (edns) response.additionals.push(ednsRecord());

    if (entry?.servfail) header.rcode = RCODE.SERVFAIL;
    else if (entry?.refused) header.rcode = RCODE.REFUSED;
    else if (transport === 'udp' && entry?.truncateUdp) header.tc = 1;
    else answer(response, name, question.type, zone, followCnames);

    if (entry?.authenticated) header.ad = 1;
    reply.packet(response);
  };

  const servers = await listenOnOnePort(host, options.port ?? 0, (udp, tcp) => {
    udp.on('request', (request, send, rinfo) => {
      handle(request, 'udp', {
        packet: (p) => void Promise.resolve(send(p)).catch(() => undefined),
        raw: (b) => {
          const peer = rinfo as RemoteInfo;
          udp.send(b, peer.port, peer.address);
        },
      });
    });
    tcp.on('request', (request, send, client) => {
      handle(request, 'tcp', {
        packet: (p) => send(p),
        raw: (b) => writeFramed(client as unknown as Socket, b),
      });
    });
  });
  const { udp, tcp, port, connections } = servers;
  const address = isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;

  return {
    address,
    host,
    port,
    queries,
    setZone(next: Zone) {
      zone = indexZone(next);
    },
    async close() {
      for (const socket of connections) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };
}

interface Reply {
  packet(response: Packet): void;
  raw(bytes: Buffer): void;
}

/** Fills the answer section for a name found in the zone, or sets NXDOMAIN. */
function answer(response: Packet, start: string, type: number, zone: ZoneIndex, follow: boolean) {
  let name = start;
  for (let hop = 0; hop <= MAX_CNAME_HOPS; hop += 1) {
    const entry = zone.get(name);
    if (!entry) {
      // A name with names below it exists even without records (RFC 8020): NODATA.
      if (!zone.parents.has(name)) response.header.rcode = RCODE.NXDOMAIN;
      return;
    }
    const records = recordsOf(name, entry, type);
    response.answers.push(...records);
    if (records.length > 0 || type === TYPES.CNAME || entry.CNAME === undefined) return;

    response.answers.push(resource(name, TYPES.CNAME, entry, { domain: entry.CNAME }));
    if (!follow) return;
    name = normalize(entry.CNAME);
  }
}

function recordsOf(name: string, entry: ZoneEntry, type: number): Packet['answers'] {
  switch (type) {
    case TYPES.A:
      return (entry.A ?? []).map((address) => resource(name, type, entry, { address }));
    case TYPES.AAAA:
      return (entry.AAAA ?? []).map((address) => resource(name, type, entry, { address }));
    case TYPES.MX:
      return (entry.MX ?? []).map((mx) =>
        resource(name, type, entry, { priority: mx.preference, exchange: mx.exchange }),
      );
    case TYPES.CNAME:
      if (entry.CNAME === undefined) return [];
      return [resource(name, type, entry, { domain: entry.CNAME })];
    case TYPES.TXT:
      return (entry.TXT ?? []).map((strings) => resource(name, type, entry, { data: strings }));
    case TYPES.TLSA:
      return (entry.TLSA ?? []).map((tlsa) => {
        const data = Buffer.isBuffer(tlsa.data) ? tlsa.data : Buffer.from(tlsa.data, 'hex');
        const rdata = Buffer.concat([
          Buffer.from([tlsa.usage, tlsa.selector, tlsa.matchingType]),
          data,
        ]);
        // dns2 has no TLSA encoder; for unknown types it writes `data` as the RDATA.
        return resource(name, type, entry, { data: rdata });
      });
    default:
      return [];
  }
}

function resource(name: string, type: number, entry: ZoneEntry, fields: object) {
  return { name, type, class: 1, ttl: entry.ttl ?? 300, ...fields } as Packet['answers'][number];
}

function ednsRecord(): Packet['additionals'][number] {
  const edns = Packet.Resource.EDNS as unknown as (rdata: [], options: object) => unknown;
  return edns([], { udpPayloadSize: 1232 }) as Packet['additionals'][number];
}

/** The entries by normalised name, and every name that has names below it. */
type ZoneIndex = Map<string, ZoneEntry> & { parents: Set<string> };

function indexZone(zone: Zone): ZoneIndex {
  const index = Object.assign(new Map<string, ZoneEntry>(), { parents: new Set<string>() });
  for (const [name, entry] of Object.entries(zone)) {
    for (const strings of entry.TXT ?? []) {
      if (strings.some((s) => Buffer.byteLength(s) > 255)) {
        throw new Error(`Cannot serve "${name}" TXT: a character-string is over 255 bytes`);
      }
    }
    const normal = normalize(name);
    index.set(normal, entry);
    const labels = normal.split('.');
    for (let i = 1; i < labels.length; i += 1) index.parents.add(labels.slice(i).join('.'));
  }
  return index;
}

function normalize(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

function writeFramed(socket: Socket, message: Buffer): void {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(message.length);
  if (!socket.destroyed) socket.write(Buffer.concat([prefix, message]));
}

type UdpServer = InstanceType<typeof dns2.UDPServer>;
type TcpServer = InstanceType<typeof dns2.TCPServer>;

/**
 * Binds UDP (a random port when 0), then TCP on the same port; when that TCP port is taken,
 * starts over with fresh servers on another port.
 */
async function listenOnOnePort(
  host: string,
  wanted: number,
  attach: (udp: UdpServer, tcp: TcpServer) => void,
) {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const udp = new dns2.UDPServer({ type: isIPv6(host) ? 'udp6' : 'udp4' });
    const tcp = new dns2.TCPServer();
    const connections = new Set<Socket>();
    tcp.on('connection', (socket: Socket) => {
      connections.add(socket);
      socket.on('close', () => connections.delete(socket));
    });
    udp.on('requestError', () => undefined);
    tcp.on('requestError', () => undefined);
    attach(udp, tcp);

    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(wanted, host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const port = udp.address().port;
    // A benchmark sends bursts of hundreds of datagrams; the default receive buffer drops them.
    try {
      udp.setRecvBufferSize(4 * 1024 * 1024);
    } catch {
      // The kernel limit (net.core.rmem_max) may be lower; the default buffer still works.
    }
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      return { udp, tcp, port, connections };
    } catch (error) {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      if (wanted !== 0) throw error;
    }
  }
  throw new Error(`Cannot start the test DNS server: no port free for UDP and TCP on ${host}`);
}
