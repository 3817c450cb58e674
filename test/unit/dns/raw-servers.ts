/**
 * Hand-driven DNS servers for resolver tests: a UDP socket and a TCP listener on loopback whose
 * handlers write whatever bytes a test wants (wrong ids, truncated answers, split segments).
 * Also builders for responses, so that tests write only what is unusual about them.
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';

import dns2 from 'dns2';

const { Packet } = dns2;

export interface RawUdpServer {
  host: string;
  port: number;
  /** Every datagram received, in order. */
  received: Buffer[];
  close(): Promise<void>;
}

/** A UDP server calling `onQuery` with each datagram and a function to send bytes back. */
export async function startRawUdp(
  host: string,
  onQuery: (query: Buffer, reply: (bytes: Buffer) => void, count: number) => void,
  port = 0,
): Promise<RawUdpServer> {
  const socket: UdpSocket = createSocket('udp4');
  const received: Buffer[] = [];
  socket.on('message', (query: Buffer, peer: RemoteInfo) => {
    received.push(query);
    onQuery(query, (bytes) => socket.send(bytes, peer.port, peer.address), received.length);
  });
  await new Promise<void>((resolve) => socket.bind(port, host, resolve));
  return {
    host,
    port: socket.address().port,
    received,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** A TCP listener on a given port whose handler gets each connection and its first query. */
export async function startRawTcp(
  host: string,
  port: number,
  onQuery: (query: Buffer, socket: Socket) => void,
): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    let answered = false;
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (answered || buffered.length < 2) return;
      const length = buffered.readUInt16BE(0);
      if (buffered.length < 2 + length) return;
      answered = true;
      onQuery(buffered.subarray(2, 2 + length), socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An answer record for `buildResponse`, in dns2's field names. */
export type RawRecord = Record<string, unknown> & { name: string; type: number };

/** A response to `query` (same id and question) with the given records and header bits. */
export function buildResponse(
  query: Buffer,
  answers: RawRecord[],
  header: Record<string, number> = {},
): Buffer {
  const request = Packet.parse(query);
  const response = Packet.createResponseFromRequest(request);
  Object.assign(response.header, { ra: 1 }, header);
  for (const answer of answers) {
    (response.answers as unknown[]).push({ class: 1, ttl: 300, ...answer });
  }
  return response.toBuffer();
}

/** `count` MX records for `name`, exchanges mx0.NAME, mx1.NAME, ... with preference = index. */
export function mxRecords(name: string, count: number): RawRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    name,
    type: 15,
    priority: i,
    exchange: `mx${i}.${name}`,
  }));
}

/** Bytes from a hex dump with spaces and line breaks. */
export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

/** A copy of `message` with the id of `query`, so a fixed packet answers any query. */
export function withIdOf(query: Buffer, message: Buffer): Buffer {
  const copy = Buffer.from(message);
  query.copy(copy, 0, 0, 2);
  return copy;
}

/** Writes a length-prefixed DNS message over TCP. */
export function framed(message: Buffer): Buffer {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(message.length);
  return Buffer.concat([prefix, message]);
}
