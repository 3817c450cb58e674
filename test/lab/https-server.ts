/**
 * A real HTTPS server on a loopback address for MTA-STS policy tests: it presents a test
 * certificate and answers each request with what the test configured for the Host it asked
 * for, so that one server stands in for the `mta-sts.<domain>` hosts of several domains.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** What the server answers for one host name. */
export interface PolicyResponse {
  /** Default 200. */
  status?: number;
  /** Default `text/plain`; null sends no Content-Type. */
  contentType?: string | null;
  body?: string;
  /** A Location header, for redirect tests. */
  location?: string;
  /**
   * Send the body in chunks of this many bytes without Content-Length, `repeat` times, to
   * test the cap on a streamed body. Default: the body in one piece with Content-Length.
   */
  stream?: { chunk: number; repeat: number };
}

export interface HttpsLabOptions {
  /** Default 127.0.41.1. */
  address?: string;
  /** Default 0: a free port. */
  port?: number;
  /** PEM key and certificate chain (leaf first). */
  key: string;
  cert: string;
  /** Host name (without port) to answer; a host not listed gets 404. */
  responses: Record<string, PolicyResponse>;
}

export interface HttpsLab {
  address: string;
  port: number;
  /** Requests served, as `host path`. */
  requests: string[];
  close(): Promise<void>;
}

/** Starts the server; resolves once it listens. */
export async function startHttpsLab(options: HttpsLabOptions): Promise<HttpsLab> {
  const address = options.address ?? '127.0.41.1';
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer({ key: options.key, cert: options.cert },
    (req: IncomingMessage, res: ServerResponse) => {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
      requests.push(`${host} ${req.url ?? ''}`);
      answer(res, options.responses[host]);
    });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // Handshakes that a test's client refuses (an untrusted certificate) are expected here.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, address, () => resolve());
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : 0;
  return {
    address,
    port,
    requests,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

function answer(res: ServerResponse, response: PolicyResponse | undefined): void {
  if (!response) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  const headers: Record<string, string> = {};
  if (response.contentType !== null) headers['content-type'] = response.contentType ?? 'text/plain';
  if (response.location) headers.location = response.location;
  const body = response.body ?? '';
  if (!response.stream) {
    headers['content-length'] = String(Buffer.byteLength(body));
    res.writeHead(response.status ?? 200, headers).end(body);
    return;
  }
  const { chunk, repeat } = response.stream;
  res.writeHead(response.status ?? 200, headers);
  let sent = 0;
  // Write only as fast as the client reads, and stop when it hangs up: bounded by `repeat`.
  const pump = (): void => {
    while (sent < repeat && !res.destroyed) {
      sent += 1;
      if (!res.write(Buffer.alloc(chunk, 0x61))) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  pump();
}
