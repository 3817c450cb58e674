/**
 * How a probe's failure becomes a named outcome: what a session threw (a reply, a timeout, a
 * close, a handshake error) mapped to a HostOutcome, a sentence and whether it is temporary.
 */
import { errorInfo, MxtlsError, type Phase } from '../errors.js';
import { replyText } from '../smtp/reply.js';
import { explainHandshakeFailure, type HandshakeFailure } from '../tls/failure.js';
import type { HostOutcome, HostResult, Reply } from './types.js';

/** Connect errors that mean "this machine cannot reach that address family", not the server. */
const NO_ROUTE_CODES = new Set(['ENETUNREACH', 'EADDRNOTAVAIL', 'EHOSTUNREACH', 'EAFNOSUPPORT']);

/** Sets the outcome, its sentence and whether a later attempt may differ. */
export function finish(result: HostResult, outcome: HostOutcome, detail: string, temporary = false):
void {
  result.outcome = outcome;
  result.detail = detail;
  result.temporary = temporary;
}

const STAGE_WORDS: Partial<Record<Phase, string>> = {
  connect: 'the TCP connect',
  greeting: 'the greeting',
  ehlo: 'the EHLO reply',
  helo: 'the HELO reply',
  starttls: 'the STARTTLS reply',
  handshake: 'the TLS handshake',
  'ehlo-tls': 'the EHLO reply after TLS',
};

/**
 * Turns what a session threw into the result's outcome, detail, temporary flag and error;
 * `current` is the session's phase, for errors that do not name one. Returns the handshake
 * failure when it was one (the caller decides on a legacy retry).
 */
export function classifyFailure(error: unknown, current: Phase, result: HostResult):
HandshakeFailure | undefined {
  result.error = errorInfo(error);
  const phase = error instanceof MxtlsError ? (error.phase ?? current) : current;
  const stage = STAGE_WORDS[phase] ?? phase;
  if (!(error instanceof MxtlsError)) {
    finish(result, 'protocol-error', `unexpected failure in ${stage}: ${String(error)}`, true);
    return undefined;
  }
  const cause = result.error.cause;
  switch (error.code) {
    case 'MXTLS_SMTP_CONNECT':
      if (cause && NO_ROUTE_CODES.has(cause)) {
        finish(result, 'no-route', result.family === 6
          ? `this host has no IPv6 route (${cause})`
          : `no route to ${result.address} (${cause})`, true);
      } else {
        finish(result, 'connect-failed', `connection failed: ${cause ?? error.message}`, true);
      }
      return undefined;
    case 'MXTLS_SMTP_TIMEOUT':
      finish(result, 'timeout', `timed out waiting for ${stage}`, true);
      return undefined;
    case 'MXTLS_SMTP_CLOSED':
      finish(result, 'connect-failed', `connection closed by the server during ${stage}` +
        (cause ? ` (${cause})` : ''), true);
      return undefined;
    case 'MXTLS_SMTP_PROTOCOL':
      finish(result, 'protocol-error', `${error.message}`);
      return undefined;
    case 'MXTLS_SMTP_REPLY':
      classifyReply(error, phase, result);
      return undefined;
    case 'MXTLS_TLS_HANDSHAKE': {
      const failure = explainHandshakeFailure(error.cause);
      if (failure.kind === 'dropped') {
        finish(result, 'starttls-dropped', `STARTTLS offered, handshake failed: ${failure.reason}`);
      } else {
        finish(result, 'handshake-failed', `STARTTLS offered, handshake failed: ` +
          `${failure.reason} (${failure.code}: ${failure.message})`);
      }
      return failure;
    }
    default:
      finish(result, 'protocol-error', error.message, true);
      return undefined;
  }
}

function classifyReply(error: MxtlsError, phase: Phase, result: HostResult): void {
  const code = error.replyCode ?? 0;
  const reply: Reply = { code, lines: (error.response ?? '').split('\n') };
  const text = replyText(reply);
  const temporary = code >= 400 && code < 500;
  if (code === 421) {
    // A 421 says "not now", not "no TLS": what STARTTLS support is stays unknown.
    if (phase !== 'starttls') result.starttls = 'unknown';
    finish(result, 'rate-limited', `temporary refusal (rate limit) at ${phase}: ${text}`, true);
  } else if (code === 554 && /synchroni[sz]ation/i.test(text)) {
    finish(result, 'protocol-error', `protocol error caused by prober: ${text}`);
  } else if (code === 503) {
    finish(result, 'protocol-error', `client sequencing error: ${text}`);
  } else if (phase === 'greeting') {
    finish(result, 'greeting-refused', `greeting refused: ${text}`, temporary);
  } else if (phase === 'starttls') {
    finish(result, 'starttls-refused', `STARTTLS offered but refused: ${text}`, temporary);
  } else {
    finish(result, 'ehlo-rejected', `${phase.toUpperCase()} rejected: ${text}`, temporary);
  }
}
