/**
 * SMTP replies (RFC 5321 4.2): an incremental parser that takes bytes however they arrive and
 * yields whole replies, and a reader that runs the parser over a socket with a per-reply
 * timeout. Every server is treated as hostile: line length, lines per reply and bytes per
 * reply are bounded, so no input makes memory grow faster than the limits allow.
 */
import type { Duplex } from 'node:stream';
import { SmtpError, sanitize, type Phase } from '../errors.js';
import type { Reply } from '../probe/types.js';

/** Bounds on what one reply may hold; a server that exceeds them is a protocol error. */
export interface ReplyLimits {
  /** Bytes in one line, without its line ending. Default 2048 (RFC 5321 asks for 512). */
  maxLineBytes: number;
  /** Lines in one multi-line reply. Default 100. */
  maxLines: number;
  /** Bytes in one reply, line endings included. Default 65536. */
  maxReplyBytes: number;
}

/** The bounds a reply reader applies unless told otherwise. */
export const DEFAULT_REPLY_LIMITS: ReplyLimits = {
  maxLineBytes: 2048,
  maxLines: 100,
  maxReplyBytes: 64 * 1024,
};

/** One reply line split into its parts. */
export interface ReplyLine {
  code: number;
  /** True when the separator is `-`: more lines of the same reply follow. */
  continues: boolean;
  text: string;
}

const LF = 0x0a;

/**
 * Splits one reply line (without its line ending) into code, separator and text. A line that
 * is only the three digits ends a reply (some greetings end with a bare `220`). Returns
 * undefined when the line is not a reply line at all.
 */
export function parseReplyLine(line: string): ReplyLine | undefined {
  const match = /^([2-5][0-9][0-9])(?:([ -])(.*))?$/s.exec(line);
  if (!match) return undefined;
  return {
    code: Number(match[1]),
    continues: match[2] === '-',
    text: sanitize(match[3] ?? ''),
  };
}

/**
 * Turns a byte stream into replies. Feed it with `push`; it returns the replies that became
 * complete. It throws SmtpError `MXTLS_SMTP_PROTOCOL` when a bound is exceeded or a line is
 * malformed, after which it must not be used again.
 */
export class ReplyParser {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private lines: string[] = [];
  private code = 0;
  private replyBytes = 0;
  private readonly limits: ReplyLimits;
  private readonly target: string | undefined;

  constructor(limits: Partial<ReplyLimits> = {}, target?: string) {
    this.limits = { ...DEFAULT_REPLY_LIMITS, ...limits };
    this.target = target;
  }

  /** True while part of a reply has been read but not its final line. */
  get inReply(): boolean {
    return this.pendingBytes > 0 || this.lines.length > 0;
  }

  /** Forgets every byte and line read so far (after the STARTTLS 220). */
  reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.lines = [];
    this.code = 0;
    this.replyBytes = 0;
  }

  /** Adds bytes and returns every reply they completed, in order. */
  push(chunk: Buffer): Reply[] {
    const replies: Reply[] = [];
    let start = 0;
    while (start < chunk.length) {
      const end = chunk.indexOf(LF, start);
      if (end === -1) {
        this.keepPartial(chunk.subarray(start));
        break;
      }
      const piece = chunk.subarray(start, end);
      start = end + 1;
      const reply = this.takeLine(piece);
      if (reply) replies.push(reply);
    }
    return replies;
  }

  private keepPartial(piece: Buffer): void {
    this.pendingBytes += piece.length;
    this.countReplyBytes(piece.length);
    // A line that never ends is bounded by the line limit, not by memory.
    if (this.pendingBytes > this.limits.maxLineBytes) {
      this.fail(`line longer than ${this.limits.maxLineBytes} bytes`);
    }
    this.pending.push(Buffer.from(piece));
  }

  private takeLine(piece: Buffer): Reply | undefined {
    const bytes = this.pendingBytes + piece.length;
    this.countReplyBytes(piece.length + 1);
    if (bytes > this.limits.maxLineBytes + 1) {
      this.fail(`line longer than ${this.limits.maxLineBytes} bytes`);
    }
    const raw = this.pending.length > 0 ? Buffer.concat([...this.pending, piece]) : piece;
    this.pending = [];
    this.pendingBytes = 0;
    // CRLF is the rule; a bare LF is tolerated because some servers send it.
    const end = raw.length > 0 && raw[raw.length - 1] === 0x0d ? raw.length - 1 : raw.length;
    if (end > this.limits.maxLineBytes) {
      this.fail(`line longer than ${this.limits.maxLineBytes} bytes`);
    }
    const text = raw.toString('utf8', 0, end);
    const line = parseReplyLine(text);
    if (!line) this.fail(`malformed reply line "${sanitize(text, 80)}"`);
    if (this.lines.length > 0 && line.code !== this.code) {
      this.fail(`reply code changed from ${this.code} to ${line.code} within one reply`);
    }
    this.code = line.code;
    this.lines.push(line.text);
    if (this.lines.length > this.limits.maxLines) {
      this.fail(`reply longer than ${this.limits.maxLines} lines`);
    }
    if (line.continues) return undefined;
    const reply: Reply = { code: this.code, lines: this.lines };
    this.lines = [];
    this.code = 0;
    this.replyBytes = 0;
    return reply;
  }

  private countReplyBytes(count: number): void {
    this.replyBytes += count;
    if (this.replyBytes > this.limits.maxReplyBytes) {
      this.fail(`reply larger than ${this.limits.maxReplyBytes} bytes`);
    }
  }

  private fail(state: string): never {
    throw new SmtpError('MXTLS_SMTP_PROTOCOL', `Cannot parse SMTP reply: ${state}`, {
      target: this.target,
    });
  }
}

/** A reply on one line with its code, for messages: `421 4.7.0 Busy Try again later`. */
export function replyText(reply: Reply): string {
  const text = reply.lines.filter((line) => line !== '').join(' ');
  return text === '' ? String(reply.code) : `${reply.code} ${text}`;
}

interface Waiter {
  phase: Phase;
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Reads replies from a socket. Bytes are parsed as they arrive; replies that came before
 * anyone asked are queued (a server that talks early is visible to the caller, not lost).
 * Only one `read` may be outstanding at a time.
 */
export class ReplyReader {
  private readonly stream: Duplex;
  private readonly parser: ReplyParser;
  private readonly target: string | undefined;
  private queue: Reply[] = [];
  private waiter: Waiter | undefined;
  private failure: Error | undefined;
  private closed = false;
  private readonly onData = (chunk: Buffer): void => this.receive(chunk);
  private readonly onEnd = (): void => this.end();
  private readonly onError = (error: Error): void => this.end(error);

  constructor(stream: Duplex, limits: Partial<ReplyLimits> = {}, target?: string) {
    this.stream = stream;
    this.target = target;
    this.parser = new ReplyParser(limits, target);
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('close', this.onEnd);
    stream.on('error', this.onError);
  }

  /** Whether any reply or part of one is waiting unread. */
  get hasBuffered(): boolean {
    return this.queue.length > 0 || this.parser.inReply;
  }

  /**
   * Waits for the next complete reply. Rejects with SmtpError `MXTLS_SMTP_TIMEOUT` (naming
   * `phase`) after `timeoutMs`, `MXTLS_SMTP_CLOSED` when the peer closes first, and
   * `MXTLS_SMTP_PROTOCOL` when the bytes break a bound.
   */
  read(phase: Phase, timeoutMs: number): Promise<Reply> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(this.closedError(phase));
    if (this.waiter) {
      return Promise.reject(new SmtpError('MXTLS_INTERNAL', 'Cannot read two replies at once'));
    }
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(
          new SmtpError('MXTLS_SMTP_TIMEOUT', `Cannot read ${phase} reply: no complete reply ` +
            `within ${timeoutMs} ms from ${this.target ?? 'server'}`, {
            phase,
            target: this.target,
          }),
        );
      }, timeoutMs);
      this.waiter = { phase, resolve, reject, timer };
    });
  }

  /** Takes the leading replies with `code` that arrived unasked, oldest first. */
  takeQueued(code: number): Reply[] {
    const end = this.queue.findIndex((reply) => reply.code !== code);
    return this.queue.splice(0, end === -1 ? this.queue.length : end);
  }

  /**
   * Throws away every byte read so far and stops reading. Called after the STARTTLS 220:
   * anything the server (or a man in the middle) sent after it in plaintext must not be
   * taken as a reply of the encrypted session. A read still waiting is rejected as closed.
   */
  detach(): void {
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('close', this.onEnd);
    this.stream.off('error', this.onError);
    this.queue = [];
    this.parser.reset();
    this.closed = true;
    const waiter = this.takeWaiter();
    if (waiter) waiter.reject(this.closedError(waiter.phase));
  }

  private receive(chunk: Buffer): void {
    if (this.failure) return;
    let replies: Reply[];
    try {
      replies = this.parser.push(chunk);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.failure = failure;
      const waiter = this.takeWaiter();
      if (waiter) {
        waiter.reject(
          new SmtpError('MXTLS_SMTP_PROTOCOL', `${failure.message} in ${waiter.phase}`, {
            phase: waiter.phase,
            target: this.target,
          }),
        );
      }
      // Nothing sensible can follow a broken reply; stop the flood at once.
      this.stream.destroy();
      return;
    }
    this.queue.push(...replies);
    const waiter = this.queue.length > 0 ? this.takeWaiter() : undefined;
    const next = waiter ? this.queue.shift() : undefined;
    if (waiter && next) waiter.resolve(next);
  }

  private end(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    if (error && !this.failure) this.failure = this.closedError(this.waiter?.phase, error);
    const waiter = this.queue.length === 0 ? this.takeWaiter() : undefined;
    if (waiter) waiter.reject(this.failure ?? this.closedError(waiter.phase));
  }

  private takeWaiter(): Waiter | undefined {
    const waiter = this.waiter;
    if (waiter) clearTimeout(waiter.timer);
    this.waiter = undefined;
    return waiter;
  }

  private closedError(phase: Phase | undefined, cause?: Error): SmtpError {
    const where = phase ?? 'session';
    const state = this.parser.inReply ? 'connection closed inside a reply' : 'connection closed';
    const reason = cause ? ` (${cause.message})` : '';
    return new SmtpError('MXTLS_SMTP_CLOSED', `Cannot read ${where} reply: ${state}${reason}`, {
      phase,
      target: this.target,
      cause,
    });
  }
}
