/**
 * A small SMTP client that hands one message to a lab instance: EHLO, optional STARTTLS,
 * MAIL FROM, RCPT TO, DATA, QUIT. It is deliberately simple (no pipelining, no AUTH) and
 * throws on any reply it did not expect, with the whole transcript in the message.
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface SubmitOptions {
  /** Default 25. */
  port?: number;
  /** EHLO name. Default 'client.mxtls.test'. */
  helo?: string;
  from: string;
  to: string[];
  /** The message, headers and body, with LF or CRLF line ends; dot-stuffed here. */
  message: string;
  /** Issue STARTTLS first, trusting `ca` (PEM) when given. Default: no STARTTLS. */
  startTls?: { ca?: string; servername?: string };
  /** Whole-session deadline in ms. Default 20000. */
  timeoutMs?: number;
}

export interface SubmitResult {
  /** The id from "250 2.0.0 Ok: queued as ID", when the server gave one. */
  queueId?: string;
  transcript: string[];
}

/** Reads whole SMTP replies from a socket, one at a time. */
class ReplyReader {
  private buffer = '';
  private waiting?: (reply: string) => void;

  constructor(private socket: Socket) {
    this.attach(socket);
  }

  attach(socket: Socket): void {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.deliver();
    });
  }

  next(): Promise<string> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.deliver();
    });
  }

  private deliver(): void {
    // A reply is complete at the first line whose fourth character is a space.
    const match = /(^|\n)\d{3}( [^\n]*)?\r?\n/.exec(this.buffer);
    if (!match || !this.waiting) return;
    const end = match.index + match[0].length;
    const reply = this.buffer.slice(0, end);
    this.buffer = this.buffer.slice(end);
    const resolve = this.waiting;
    this.waiting = undefined;
    resolve(reply.trimEnd());
  }
}

/** Sends one message to `address` and resolves once the server has queued it. */
export async function submitMessage(
  address: string,
  options: SubmitOptions,
): Promise<SubmitResult> {
  const transcript: string[] = [];
  const port = options.port ?? 25;
  const timeoutMs = options.timeoutMs ?? 20_000;
  let socket: Socket = connect({ host: address, port });
  const timer = setTimeout(() => socket.destroy(new Error('session timed out')), timeoutMs);
  let fail: (error: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  // Keep the rejection handled even when no reply is awaited at the moment of the error.
  failed.catch(() => undefined);
  socket.on('error', (error) => fail(error));
  const reader = new ReplyReader(socket);

  const expect = async (code: string): Promise<string> => {
    const reply = await Promise.race([reader.next(), failed]);
    transcript.push(...reply.split(/\r?\n/).map((l) => `S: ${l}`));
    if (!reply.startsWith(code)) {
      throw new Error(`Cannot submit to ${address}:${port}: expected ${code}, got "${reply}"\n` +
        transcript.join('\n'));
    }
    return reply;
  };
  const send = (line: string): void => {
    transcript.push(`C: ${line}`);
    socket.write(`${line}\r\n`);
  };

  try {
    const helo = options.helo ?? 'client.mxtls.test';
    await expect('220');
    send(`EHLO ${helo}`);
    await expect('250');
    if (options.startTls) {
      send('STARTTLS');
      await expect('220');
      socket = await upgrade(socket, options.startTls);
      socket.on('error', (error) => fail(error));
      reader.attach(socket);
      send(`EHLO ${helo}`);
      await expect('250');
    }
    send(`MAIL FROM:<${options.from}>`);
    await expect('250');
    for (const rcpt of options.to) {
      send(`RCPT TO:<${rcpt}>`);
      await expect('250');
    }
    send('DATA');
    await expect('354');
    const body = options.message.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    socket.write(body.endsWith('\r\n') ? body : `${body}\r\n`);
    send('.');
    const queued = await expect('250');
    send('QUIT');
    await expect('221');
    const queueId = /queued as ([0-9A-Za-z]+)/.exec(queued)?.[1];
    return { transcript, ...(queueId ? { queueId } : {}) };
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}

function upgrade(socket: Socket, tls: { ca?: string; servername?: string }): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const secure = tlsConnect({
      socket,
      ...(tls.servername ? { servername: tls.servername } : {}),
      ...(tls.ca ? { ca: tls.ca } : { rejectUnauthorized: false }),
    });
    secure.once('secureConnect', () => resolve(secure));
    secure.once('error', reject);
  });
}
