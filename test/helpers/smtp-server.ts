/**
 * A scriptable SMTP server in the test process, on loopback. A test hands in a script that
 * plays one connection (send bytes, wait, read the client's lines, upgrade to TLS, close);
 * the server records every line each client sent, in order, so a test can assert what the
 * prober said and when. `esmtpScript` plays the ordinary dialog with knobs for the cases.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket, type TlsOptions } from 'node:tls';

/** One client connection as a script sees it. */
export interface ScriptedConnection {
  /** Every line the client sent, without CRLF, plaintext and TLS alike, in order. */
  readonly received: string[];
  /** When each line of `received` arrived, in ms since the connection opened. */
  readonly receivedAt: number[];
  /** Sends raw text (write `\r\n` yourself) or bytes. */
  send(text: string | Buffer): void;
  /**
   * Stops reading lines and resolves with the next raw bytes the client sends (e.g. a TLS
   * ClientHello), or an empty buffer after `timeoutMs`.
   */
  rawBytes(timeoutMs?: number): Promise<Buffer>;
  /** Next line from the client, or null when it closed or `timeoutMs` passed. */
  readLine(timeoutMs?: number): Promise<string | null>;
  /** Waits `ms`; resolves true when the client sent nothing meanwhile. */
  quietFor(ms: number): Promise<boolean>;
  /** Server side of STARTTLS; resolves once the handshake completed, rejects if it failed. */
  startTls(options: TlsOptions): Promise<TLSSocket>;
  /** The SNI name the client sent in the TLS handshake, once there was one. */
  readonly servername: string | undefined;
  close(): void;
  readonly closed: boolean;
}

/** Plays one connection; the server closes it shortly after the script returns. */
export type SmtpScript = (connection: ScriptedConnection) => Promise<void>;

/** A listening server and what its clients did. */
export interface RunningSmtpServer {
  address: string;
  port: number;
  /** One entry per accepted connection, in order. */
  connections: ScriptedConnection[];
  /** Errors thrown by scripts (a failed assertion inside the server). */
  errors: unknown[];
  close(): Promise<void>;
}

class Connection implements ScriptedConnection {
  readonly received: string[] = [];
  readonly receivedAt: number[] = [];
  servername: string | undefined;
  closed = false;
  private socket: Socket;
  private buffer = '';
  private lines: string[] = [];
  private wake: (() => void) | undefined;
  private readonly opened = Date.now();

  constructor(socket: Socket) {
    this.socket = socket;
    this.listen(socket);
  }

  private listen(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => this.take(chunk.toString('latin1')));
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => undefined);
  }

  private take(text: string): void {
    this.buffer += text;
    let end = this.buffer.indexOf('\n');
    while (end !== -1) {
      const line = this.buffer.slice(0, end).replace(/\r$/, '');
      this.buffer = this.buffer.slice(end + 1);
      this.received.push(line);
      this.receivedAt.push(Date.now() - this.opened);
      this.lines.push(line);
      end = this.buffer.indexOf('\n');
    }
    this.wake?.();
  }

  rawBytes(timeoutMs = 5000): Promise<Buffer> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    return new Promise<Buffer>((resolve) => {
      const timer = setTimeout(() => resolve(Buffer.alloc(0)), timeoutMs);
      plain.once('data', (chunk: Buffer) => {
        clearTimeout(timer);
        resolve(chunk);
      });
    });
  }

  send(text: string | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(text);
  }

  async readLine(timeoutMs = 5000): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.closed || Date.now() >= deadline) return null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return this.lines.shift() ?? null;
  }

  async quietFor(ms: number): Promise<boolean> {
    const before = this.received.length + this.buffer.length;
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.received.length + this.buffer.length === before;
  }

  startTls(options: TlsOptions): Promise<TLSSocket> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    this.buffer = '';
    this.lines = [];
    return new Promise<TLSSocket>((resolve, reject) => {
      const secure = new TLSSocket(plain, {
        ...options,
        isServer: true,
        SNICallback: (name, callback) => {
          this.servername = name;
          if (options.SNICallback) options.SNICallback(name, callback);
          else callback(null, undefined);
        },
      });
      secure.once('secure', () => {
        this.socket = secure;
        this.listen(secure);
        resolve(secure);
      });
      secure.once('error', (error) => {
        secure.destroy();
        reject(error);
      });
      secure.on('error', () => undefined);
    });
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
    this.wake?.();
  }
}

/** Starts a server on `address` (default 127.0.0.1), port 0 (a free one) unless given. */
export async function startSmtpServer(
  script: SmtpScript,
  options: { address?: string; port?: number } = {},
): Promise<RunningSmtpServer> {
  const connections: ScriptedConnection[] = [];
  const errors: unknown[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const connection = new Connection(socket);
    connections.push(connection);
    script(connection).catch((error: unknown) => errors.push(error)).finally(() => {
      // A script that returns has said everything; give the client a moment to read it.
      setTimeout(() => connection.close(), 50);
    });
  });
  const address = options.address ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, address, () => resolve());
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : 0;
  return {
    address,
    port,
    connections,
    errors,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Knobs of the ordinary ESMTP dialog. */
export interface EsmtpOptions {
  /** Greeting text, whole lines with CRLF. Default `220 mx.example.com ESMTP\r\n`. */
  greeting?: string;
  /** EHLO reply, whole lines with CRLF. Default one advertising STARTTLS. */
  ehlo?: string;
  /** EHLO reply after TLS. Default the same as `ehlo`. */
  ehloTls?: string;
  /** STARTTLS reply. Default `220 2.0.0 Ready to start TLS\r\n`. */
  starttls?: string;
  /** Server TLS options; without them STARTTLS gets `454`. */
  tls?: TlsOptions;
}

const DEFAULT_EHLO =
  '250-mx.example.com Hello\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n';

/**
 * The ordinary dialog, strict about order: EHLO/HELO first (else 503), STARTTLS only when
 * advertised and only once, then EHLO again over TLS; QUIT ends it.
 */
export function esmtpScript(options: EsmtpOptions = {}): SmtpScript {
  return async (c) => {
    c.send(options.greeting ?? '220 mx.example.com ESMTP\r\n');
    let greeted = false;
    let secure = false;
    for (let i = 0; i < 20; i += 1) {
      const line = await c.readLine();
      if (line === null) return;
      const verb = line.split(' ')[0]?.toUpperCase();
      if (verb === 'EHLO') {
        greeted = true;
        c.send(secure ? (options.ehloTls ?? options.ehlo ?? DEFAULT_EHLO)
          : (options.ehlo ?? DEFAULT_EHLO));
      } else if (verb === 'HELO') {
        greeted = true;
        c.send('250 mx.example.com\r\n');
      } else if (verb === 'STARTTLS' && greeted && !secure) {
        if (!options.tls) {
          c.send('454 4.7.0 TLS not available\r\n');
          continue;
        }
        c.send(options.starttls ?? '220 2.0.0 Ready to start TLS\r\n');
        try {
          await c.startTls(options.tls);
        } catch {
          return;
        }
        secure = true;
        greeted = false;
      } else if (verb === 'QUIT') {
        c.send('221 2.0.0 Bye\r\n');
        return;
      } else {
        c.send('503 5.5.1 EHLO/HELO first\r\n');
      }
    }
  };
}
