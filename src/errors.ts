/**
 * Error classes with stable codes. Library code throws these (never strings) and the CLI maps
 * them to messages and exit codes. Messages follow one grammar: "Cannot <do X>: <state>", values
 * quoted, the target (host, address, port) named, no trailing full stop.
 */

/** Stable error codes; they appear in `--json` output and never change meaning. */
export type ErrorCode =
  | 'MXTLS_USAGE'
  | 'MXTLS_INPUT'
  | 'MXTLS_DNS_TIMEOUT'
  | 'MXTLS_DNS_TRUNCATED'
  | 'MXTLS_DNS_MALFORMED'
  | 'MXTLS_DNS_SERVFAIL'
  | 'MXTLS_DNS_REFUSED'
  | 'MXTLS_DNS_NETWORK'
  | 'MXTLS_SMTP_TIMEOUT'
  | 'MXTLS_SMTP_CONNECT'
  | 'MXTLS_SMTP_CLOSED'
  | 'MXTLS_SMTP_PROTOCOL'
  | 'MXTLS_SMTP_REPLY'
  | 'MXTLS_TLS_HANDSHAKE'
  | 'MXTLS_HTTP'
  | 'MXTLS_RESULTS'
  | 'MXTLS_INTERNAL';

/** Where in a probe an error happened. */
export type Phase =
  | 'dns'
  | 'connect'
  | 'greeting'
  | 'ehlo'
  | 'helo'
  | 'starttls'
  | 'handshake'
  | 'ehlo-tls'
  | 'quit'
  | 'http'
  | 'input';

export interface MxtlsErrorDetails {
  phase?: Phase;
  /** SMTP reply code, when the error is a reply. */
  replyCode?: number;
  /** The reply or response text as received, sanitised of control bytes. */
  response?: string;
  /** The host, address and port the error concerns. */
  target?: string;
  cause?: unknown;
}

/** Base class of every error mxtls throws on purpose. */
export class MxtlsError extends Error {
  readonly code: ErrorCode;
  readonly phase?: Phase;
  readonly replyCode?: number;
  readonly response?: string;
  readonly target?: string;

  constructor(code: ErrorCode, message: string, details: MxtlsErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.phase = details.phase;
    this.replyCode = details.replyCode;
    this.response = details.response;
    this.target = details.target;
  }

  /** A plain object for JSON output: stable code, message and context, no stack. */
  toJSON(): ErrorInfo {
    return errorInfo(this);
  }
}

/** Bad command-line use or bad options: exit code 2. */
export class UsageError extends MxtlsError {
  constructor(message: string) {
    super('MXTLS_USAGE', message, { phase: 'input' });
  }
}

/** Unreadable or invalid input data (a domain list, a message, a results file). */
export class InputError extends MxtlsError {
  constructor(message: string, cause?: unknown) {
    super('MXTLS_INPUT', message, { phase: 'input', cause });
  }
}

/** A DNS lookup that did not give an answer (as opposed to an answer of "no such record"). */
export class DnsError extends MxtlsError {}

/** An SMTP dialog that could not go on. */
export class SmtpError extends MxtlsError {}

/** A TLS handshake that did not complete. */
export class TlsError extends MxtlsError {}

/** The serialisable form of an error inside a result. */
export interface ErrorInfo {
  code: ErrorCode | string;
  message: string;
  phase?: Phase;
  replyCode?: number;
  response?: string;
  target?: string;
  /** The underlying system or TLS library code, e.g. `ECONNREFUSED`, `ERR_SSL_...`. */
  cause?: string;
}

/** Turns anything thrown into an ErrorInfo, keeping the stable code where there is one. */
export function errorInfo(error: unknown): ErrorInfo {
  if (error instanceof MxtlsError) {
    const info: ErrorInfo = { code: error.code, message: error.message };
    if (error.phase) info.phase = error.phase;
    if (error.replyCode !== undefined) info.replyCode = error.replyCode;
    if (error.response !== undefined) info.response = error.response;
    if (error.target !== undefined) info.target = error.target;
    const causeCode = systemCode(error.cause);
    if (causeCode) info.cause = causeCode;
    return info;
  }
  const code = systemCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'MXTLS_INTERNAL', message, ...(code ? { cause: code } : {}) };
}

function systemCode(error: unknown): string | undefined {
  if (error && typeof error === 'object' && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** Replaces control bytes so that text from a server or a header is safe to print. */
export function sanitize(text: string, maxLength = 1000): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => {
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
  return clean.length > maxLength ? `${clean.slice(0, maxLength)}…` : clean;
}

/** An HTTPS fetch that did not give a usable response (an MTA-STS policy, for instance). */
export class HttpError extends MxtlsError {}
