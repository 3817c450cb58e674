/**
 * One SMTP client session, stepped through the phases of a TLS probe: connect, greeting,
 * EHLO, STARTTLS, handshake, EHLO again, QUIT. The session never pipelines (each command
 * waits for the complete reply to the one before), never speaks before the complete greeting
 * and never sends MAIL or RCPT: it asks only what a sender would ask before sending mail.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { hostname } from 'node:os';
import type { TLSSocket } from 'node:tls';
import { SmtpError, type Phase } from '../errors.js';
import { DEFAULT_TIMEOUTS, type HostTarget, type StageTimeouts } from '../probe/options.js';
import type { Reply, StageTimings } from '../probe/types.js';
import { DEFAULT_PROFILE, type TlsProfile } from '../tls/context.js';
import { awaitSessionTicket, handshake } from '../tls/handshake.js';
import { normalizeHostName } from '../tls/name-match.js';
import { parseExtensions, type Extensions } from './extensions.js';
import { ReplyReader, replyText, type ReplyLimits } from './reply.js';

/** How a session behaves; every field has a default. */
export interface SessionOptions {
  /** The EHLO argument. Default: `defaultEhloName(localAddress)`. */
  helo?: string;
  /** Per-stage timeouts in ms. Default DEFAULT_TIMEOUTS. */
  timeouts?: Partial<StageTimeouts>;
  /** Keep `C:`/`S:` lines in `transcript`. Default false. */
  transcript?: boolean;
  /** Bounds on replies. Default DEFAULT_REPLY_LIMITS. */
  limits?: Partial<ReplyLimits>;
  /** PEM CA certificates to trust instead of the system roots. */
  ca?: string | Buffer;
  /** Destroys the connection when aborted. */
  signal?: AbortSignal;
  /** Clock for stage timings. Default performance.now. */
  clock?: () => number;
}

/** How long QUIT waits for its 221: the probe is over, a slow goodbye must not slow it. */
const QUIT_WAIT_MS = 2000;

/**
 * The longest wait for a TLS 1.3 session ticket before the first encrypted command, in ms: the
 * ACK delay it avoids is 40 ms on Linux (up to 200 ms elsewhere), so waiting longer never pays.
 */
const TICKET_WAIT_MAX_MS = 40;

/** Host name syntax for EHLO (RFC 5321 4.1.2 Domain): letter-digit-hyphen labels, 2 or more. */
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const FQDN = new RegExp(`^(?=.{1,253}$)(?:${LABEL}\\.)+${LABEL}$`, 'i');

/** Whether `name` may stand as the EHLO domain: a dotted name of LDH labels. */
export function isValidEhloDomain(name: string): boolean {
  return FQDN.test(name);
}

/** The address literal of RFC 5321 4.1.3: `[192.0.2.10]` or `[IPv6:2001:db8::1]`. */
export function addressLiteral(address: string): string {
  const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4
    ? address.slice(7) : address;
  return isIP(plain) === 6 ? `[IPv6:${plain}]` : `[${plain}]`;
}

let machineName: string | null | undefined;

/**
 * Open sessions per abort signal. A bulk scan shares one signal among hundreds of sessions;
 * one listener per signal (not per session) keeps Node from warning about a listener leak.
 */
const sessionsBySignal = new WeakMap<AbortSignal, Set<SmtpSession>>();

function watchSignal(signal: AbortSignal, session: SmtpSession): void {
  let sessions = sessionsBySignal.get(signal);
  if (!sessions) {
    const open = new Set<SmtpSession>();
    sessions = open;
    sessionsBySignal.set(signal, open);
    signal.addEventListener('abort', () => {
      for (const each of open) each.close();
      open.clear();
    }, { once: true });
  }
  sessions.add(session);
}

/**
 * The default EHLO argument: this machine's host name when it is a valid FQDN, else the
 * address literal of the local end of the connection (a bare "localhost" or a name with an
 * underscore gets EHLO refused by strict servers).
 */
export function defaultEhloName(localAddress: string | undefined): string {
  if (machineName === undefined) {
    const name = hostname();
    machineName = isValidEhloDomain(name) ? name.toLowerCase() : null;
  }
  if (machineName) return machineName;
  return addressLiteral(localAddress ?? '127.0.0.1');
}

/** A completed STARTTLS: the reply and the encrypted socket. */
export interface StartTlsResult {
  reply: Reply;
  socket: TLSSocket;
}

/**
 * The state of one SMTP session. Methods follow the protocol's order and throw SmtpError
 * (or TlsError from `startTls`) when the server says no or does not answer; what was read
 * before the error stays in the session's fields, so a caller can report it.
 */
export class SmtpSession {
  readonly target: HostTarget;
  /** The MX name normalised (lower case, no trailing dot): the SNI and the name checked. */
  readonly serverName: string;
  readonly timeouts: StageTimeouts;
  /** `host[address]:port`, named in every error. */
  readonly label: string;
  /** `C:`/`S:` lines, when asked for. */
  readonly transcript: string[] | undefined;
  timings: Partial<StageTimings> = {};
  greeting?: Reply;
  ehloReply?: Reply;
  heloReply?: Reply;
  extensions?: Extensions;
  starttlsReply?: Reply;
  extensionsTls?: Extensions;
  /** The encrypted socket once STARTTLS completed. */
  tlsSocket?: TLSSocket;
  /** The phase the session is in or failed in. */
  phase: Phase = 'connect';
  /** True once close() ran; nothing more is sent. */
  closed = false;

  private readonly options: SessionOptions;
  private readonly clock: () => number;
  private socket?: Socket | TLSSocket;
  private rawSocket?: Socket;
  private reader?: ReplyReader;

  constructor(target: HostTarget, options: SessionOptions = {}) {
    this.target = target;
    this.options = options;
    this.serverName = normalizeHostName(target.host);
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.label = `${this.serverName}[${target.address}]:${target.port}`;
    this.transcript = options.transcript ? [] : undefined;
    this.clock = options.clock ?? (() => performance.now());
    if (options.signal) watchSignal(options.signal, this);
  }

  /** Opens the TCP connection. Throws SmtpError `MXTLS_SMTP_CONNECT` or `MXTLS_SMTP_TIMEOUT`. */
  async connect(): Promise<void> {
    this.phase = 'connect';
    if (this.options.signal?.aborted) throw this.abortError();
    if (this.closed) throw this.abortError();
    const started = this.clock();
    const socket = netConnect({
      host: this.target.address,
      port: this.target.port,
      family: this.target.family,
      noDelay: true,
    });
    // Errors after the connect are read through the reply reader or the TLS socket; this
    // listener only keeps a late reset from becoming an uncaught exception.
    socket.on('error', () => undefined);
    this.rawSocket = socket;
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        socket.destroy();
        reject(new SmtpError('MXTLS_SMTP_TIMEOUT', `Cannot connect to ${this.label}: no answer ` +
          `within ${this.timeouts.connect} ms`, { phase: 'connect', target: this.label }));
      }, this.timeouts.connect);
      const onConnect = (): void => {
        cleanup();
        resolve();
      };
      const onError = (error: Error): void => {
        cleanup();
        socket.destroy();
        reject(new SmtpError('MXTLS_SMTP_CONNECT', `Cannot connect to ${this.label}: ` +
          `${error.message}`, { phase: 'connect', target: this.label, cause: error }));
      };
      // close() during the connect (an abort) must end the wait at once.
      const onClose = (): void => {
        cleanup();
        reject(this.abortError());
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        socket.off('connect', onConnect);
        socket.off('error', onError);
        socket.off('close', onClose);
      };
      socket.once('connect', onConnect);
      socket.once('error', onError);
      socket.once('close', onClose);
    });
    this.reader = new ReplyReader(socket, this.options.limits, this.label);
    this.timings.connect = this.clock() - started;
  }

  /** The local address of the connection, e.g. for the EHLO address literal. */
  get localAddress(): string | undefined {
    return this.rawSocket?.localAddress;
  }

  /** The EHLO argument this session uses. */
  get heloName(): string {
    return this.options.helo ?? defaultEhloName(this.localAddress);
  }

  /**
   * Reads the server's greeting: the whole multi-line reply, up to its final line, before a
   * single byte is sent (servers that enforce synchronisation drop clients that talk early).
   * Throws SmtpError `MXTLS_SMTP_REPLY` for any code but 220.
   */
  async readGreeting(): Promise<Reply> {
    this.phase = 'greeting';
    const started = this.clock();
    const reply = await this.receive('greeting', this.timeouts.greeting);
    // Some servers send each banner line as a reply of its own ("220 a", "220 b"); those
    // already here belong to the greeting, not to the answer of the EHLO still to come.
    // TODO: banner lines that arrive after EHLO was sent are still read as its reply.
    for (const extra of this.reader?.takeQueued(reply.code) ?? []) reply.lines.push(...extra.lines);
    this.timings.greeting = this.clock() - started;
    this.greeting = reply;
    if (reply.code !== 220) throw this.rejected('greeting', 'read greeting', reply);
    return reply;
  }

  /**
   * Sends EHLO and parses the extensions (after TLS, into `extensionsTls`). Throws SmtpError
   * `MXTLS_SMTP_REPLY` for any code but 250.
   */
  async sendEhlo(): Promise<Reply> {
    const afterTls = this.tlsSocket !== undefined;
    const phase: Phase = afterTls ? 'ehlo-tls' : 'ehlo';
    this.phase = phase;
    const started = this.clock();
    const reply = await this.command(`EHLO ${this.heloName}`, phase, this.timeouts.command);
    this.timings[afterTls ? 'ehloTls' : 'ehlo'] = this.clock() - started;
    this.ehloReply = reply;
    if (reply.code !== 250) throw this.rejected(phase, 'send EHLO', reply);
    const extensions = parseExtensions(reply);
    if (afterTls) this.extensionsTls = extensions;
    else this.extensions = extensions;
    return reply;
  }

  /** Sends HELO, the fallback after a refused EHLO. Throws for any code but 250. */
  async sendHelo(): Promise<Reply> {
    this.phase = 'helo';
    const reply = await this.command(`HELO ${this.heloName}`, 'helo', this.timeouts.command);
    this.heloReply = reply;
    if (reply.code !== 250) throw this.rejected('helo', 'send HELO', reply);
    return reply;
  }

  /**
   * Sends STARTTLS and, on a 220, runs the handshake with `profile` (default
   * DEFAULT_PROFILE; a caller enumerating versions or ciphers passes its own). Anything the
   * server sent after the 220 in plaintext is thrown away unread. Throws SmtpError
   * `MXTLS_SMTP_REPLY` for any code but 220 and TlsError when the handshake fails.
   */
  async startTls(profile: TlsProfile = DEFAULT_PROFILE): Promise<StartTlsResult> {
    this.phase = 'starttls';
    const started = this.clock();
    const reply = await this.command('STARTTLS', 'starttls', this.timeouts.command);
    this.timings.starttls = this.clock() - started;
    this.starttlsReply = reply;
    if (reply.code !== 220) throw this.rejected('starttls', 'start TLS', reply);

    const raw = this.rawSocket;
    if (!raw || !this.reader) {
      throw new SmtpError('MXTLS_INTERNAL', 'Cannot start TLS: not connected');
    }
    const discarded = this.reader.hasBuffered;
    this.reader.detach();
    if (discarded) this.note('(plaintext bytes after the STARTTLS 220 discarded)');

    this.phase = 'handshake';
    const handshakeStarted = this.clock();
    const tlsSocket = await handshake(raw, {
      serverName: this.serverName,
      profile,
      ...(this.options.ca === undefined ? {} : { ca: this.options.ca }),
      timeoutMs: this.timeouts.handshake,
      target: this.label,
    });
    tlsSocket.on('error', () => undefined);
    this.tlsSocket = tlsSocket;
    this.socket = tlsSocket;
    this.reader = new ReplyReader(tlsSocket, this.options.limits, this.label);
    this.note(`(TLS ${tlsSocket.getProtocol() ?? ''} ${tlsSocket.getCipher().name})`);
    // The ticket comes one round trip after our Finished; the STARTTLS reply took about one
    // round trip too, so a server that sends no ticket costs about that, not the whole bound.
    const ticketWait = Math.min(TICKET_WAIT_MAX_MS, 2 + 2 * this.timings.starttls);
    await awaitSessionTicket(tlsSocket, ticketWait);
    this.timings.handshake = this.clock() - handshakeStarted;
    return { reply, socket: tlsSocket };
  }

  /**
   * Sends QUIT and waits briefly for the 221, then closes. Never throws: the probe's findings
   * are complete by now.
   */
  async quit(): Promise<void> {
    const started = this.clock();
    await this.quitInBackground();
    if (this.timings.quit !== undefined) this.timings.quit = this.clock() - started;
  }

  /**
   * Sends QUIT and returns at once with a promise that settles (never rejects) once the 221
   * came or the QUIT wait ran out and the connection is closed. `timings.quit` is then only
   * the time to send QUIT: the goodbye no longer delays the findings.
   */
  quitInBackground(): Promise<void> {
    if (!this.socket || this.socket.destroyed) return Promise.resolve();
    this.phase = 'quit';
    const started = this.clock();
    const goodbye = this.command('QUIT', 'quit', Math.min(QUIT_WAIT_MS, this.timeouts.command))
      // A server that hangs up without 221 has still told us everything we asked.
      .then(() => undefined, () => undefined)
      .finally(() => this.close());
    this.timings.quit = this.clock() - started;
    return goodbye;
  }

  /** Drops the connection at once. */
  close(): void {
    this.closed = true;
    if (this.options.signal) sessionsBySignal.get(this.options.signal)?.delete(this);
    this.reader?.detach();
    this.socket?.destroy();
    this.rawSocket?.destroy();
  }

  /** Writes one command and waits for its whole reply. */
  async command(line: string, phase: Phase, timeoutMs: number): Promise<Reply> {
    const socket = this.socket;
    if (!socket || socket.destroyed || !this.reader) {
      throw new SmtpError('MXTLS_SMTP_CLOSED', `Cannot send ${line.split(' ')[0]} to ` +
        `${this.label}: connection closed`, { phase, target: this.label });
    }
    this.transcript?.push(`C: ${line}`);
    socket.write(`${line}\r\n`);
    return this.receive(phase, timeoutMs);
  }

  private async receive(phase: Phase, timeoutMs: number): Promise<Reply> {
    if (!this.reader) {
      throw new SmtpError('MXTLS_SMTP_CLOSED', `Cannot read ${phase} reply: not connected`, {
        phase,
        target: this.label,
      });
    }
    if (this.options.signal?.aborted) throw this.abortError();
    const reply = await this.reader.read(phase, timeoutMs);
    if (this.transcript) {
      reply.lines.forEach((text, index) => {
        const separator = index < reply.lines.length - 1 ? '-' : ' ';
        this.transcript?.push(`S: ${reply.code}${separator}${text}`.trimEnd());
      });
    }
    return reply;
  }

  private note(text: string): void {
    this.transcript?.push(text);
  }

  private rejected(phase: Phase, action: string, reply: Reply): SmtpError {
    return new SmtpError('MXTLS_SMTP_REPLY', `Cannot ${action} at ${this.label}: server ` +
      `answered "${replyText(reply)}"`, {
      phase,
      replyCode: reply.code,
      response: reply.lines.join('\n'),
      target: this.label,
    });
  }

  private abortError(): SmtpError {
    return new SmtpError('MXTLS_SMTP_CLOSED', `Cannot go on with ${this.label}: aborted`, {
      phase: this.phase,
      target: this.label,
    });
  }
}
