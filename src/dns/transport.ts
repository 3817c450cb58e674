/**
 * Sending one DNS message and waiting for its response, over UDP (RFC 1035 4.2.1) or TCP with
 * the 2-byte length prefix (RFC 1035 4.2.2, RFC 7766). Each exchange uses its own socket, so
 * any number can run at once; the caller decides which datagrams or messages are the answer.
 */
import { createSocket } from 'node:dgram';
import { connect, isIPv6 } from 'node:net';

import { DnsError } from '../errors.js';
import { formatServer, type ServerAddress } from './resolv-conf.js';

/**
 * Looks at one received message: returns the answer to finish, undefined to ignore the message
 * (a stray id, another question) and keep waiting, or throws to fail the exchange.
 */
export type AcceptResponse<T> = (message: Buffer) => T | undefined;

export interface ExchangeOptions {
  /** Time to wait for one answer, in ms. */
  timeoutMs: number;
  /** For messages: the question, e.g. `"example.test" MX`. */
  question: string;
}

/** Sends a query over UDP, sending it again `retries` times when no answer comes in time. */
export function exchangeUdp<T>(
  server: ServerAddress,
  query: Buffer,
  options: ExchangeOptions & { retries: number },
  accept: AcceptResponse<T>,
): Promise<T> {
  const target = formatServer(server);
  return new Promise<T>((resolve, reject) => {
    const socket = createSocket(isIPv6(server.host) ? 'udp6' : 'udp4');
    let attempts = 0;
    let timer: NodeJS.Timeout | undefined;
    let done = false;

    const finish = (error: unknown, value?: T) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      if (error) reject(error);
      else resolve(value as T);
    };

    const send = () => {
      attempts += 1;
      socket.send(query, (error) => {
        if (error) finish(networkError(options.question, target, error));
      });
      timer = setTimeout(onTimeout, options.timeoutMs);
    };

    const onTimeout = () => {
      if (attempts <= options.retries) return send();
      const message =
        `Cannot resolve ${options.question}: no answer from ${target} ` +
        `in ${attempts} tries of ${options.timeoutMs} ms`;
      finish(new DnsError('MXTLS_DNS_TIMEOUT', message, { phase: 'dns', target }));
    };

    // A connected socket only receives datagrams from the server, and reports ICMP
    // port-unreachable as ECONNREFUSED instead of letting us wait for the timeout.
    socket.on('error', (error) => finish(networkError(options.question, target, error)));
    socket.on('message', (message) => {
      try {
        const answer = accept(message);
        if (answer !== undefined) finish(undefined, answer);
      } catch (error) {
        finish(error);
      }
    });
    socket.connect(server.port, server.host, send);
  });
}

/** Sends a query over TCP and reads length-prefixed messages until one is the answer. */
export function exchangeTcp<T>(
  server: ServerAddress,
  query: Buffer,
  options: ExchangeOptions,
  accept: AcceptResponse<T>,
): Promise<T> {
  const target = formatServer(server);
  return new Promise<T>((resolve, reject) => {
    const socket = connect({ host: server.host, port: server.port });
    let buffered: Buffer = Buffer.alloc(0);
    let done = false;

    const finish = (error: unknown, value?: T) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(value as T);
    };

    const timer = setTimeout(() => {
      const message =
        `Cannot resolve ${options.question}: no TCP answer from ${target} ` +
        `in ${options.timeoutMs} ms`;
      finish(new DnsError('MXTLS_DNS_TIMEOUT', message, { phase: 'dns', target }));
    }, options.timeoutMs);

    socket.on('connect', () => {
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(query.length);
      socket.write(Buffer.concat([prefix, query]));
    });

    // Segments may split a message anywhere, even inside the length prefix: collect bytes
    // until a whole prefix and then a whole message are there.
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      while (!done && buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) return;
        const message = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        try {
          const answer = accept(message);
          if (answer !== undefined) finish(undefined, answer);
        } catch (error) {
          finish(error);
        }
      }
    });

    socket.on('error', (error) => finish(networkError(options.question, target, error)));
    socket.on('close', () => {
      const message =
        `Cannot resolve ${options.question}: ${target} closed the TCP connection ` +
        `before a whole answer (${buffered.length} bytes pending)`;
      finish(new DnsError('MXTLS_DNS_NETWORK', message, { phase: 'dns', target }));
    });
  });
}

function networkError(question: string, target: string, cause: unknown): DnsError {
  const code = (cause as { code?: unknown }).code;
  const reason = typeof code === 'string' ? code : String(cause);
  return new DnsError('MXTLS_DNS_NETWORK', `Cannot resolve ${question}: ${reason} from ${target}`, {
    phase: 'dns',
    target,
    cause,
  });
}
