/**
 * The probe of one address of one MX host: an SMTP session up to STARTTLS and the handshake,
 * turned into a HostResult with a named outcome. Server behaviour never makes it throw; a
 * temporary refusal (421, 4xx, timeout, reset) is never reported as "no TLS".
 */
import { errorInfo, MxtlsError } from '../errors.js';
import { hasExtension } from '../smtp/extensions.js';
import { replyText } from '../smtp/reply.js';
import { SmtpSession } from '../smtp/session.js';
import { DEFAULT_PROFILE, LEGACY_PROFILE, type TlsProfile } from '../tls/context.js';
import { protocolLabel, type HandshakeFailure } from '../tls/failure.js';
import { describeSession } from '../tls/handshake.js';
import type { HostProbeOptions, HostTarget } from './options.js';
import { classifyFailure, finish } from './outcome.js';
import type { HostResult, TlsSession } from './types.js';

/** What one attempt ended with, beside the result: the handshake failure, if there was one. */
interface Attempt {
  result: HostResult;
  failure?: HandshakeFailure;
}

/**
 * Probes one address: connect, greeting, EHLO (HELO once if EHLO is refused), STARTTLS when
 * offered, the handshake (again from scratch with a legacy profile when the default one
 * fails for protocol, cipher or DH reasons and `legacyRetry` is not false), EHLO after TLS,
 * QUIT. Resolves with the result; never rejects for anything a server does.
 */
export async function probeHost(target: HostTarget, options: HostProbeOptions = {}):
Promise<HostResult> {
  const started = performance.now();
  const closings: Promise<void>[] = [];
  const first = await attempt(target, options, DEFAULT_PROFILE, closings);
  let result = first.result;
  const retry = first.failure?.legacyMayHelp && options.legacyRetry !== false;
  if (retry && !options.signal?.aborted) {
    // One connection at a time to the address: the first must be gone before the retry.
    await Promise.all(closings);
    const second = await attempt(target, options, LEGACY_PROFILE, closings);
    result = mergeLegacy(first, second);
  }
  result.timings.total = performance.now() - started;
  options.onClosing?.(Promise.all(closings).then(() => undefined));
  return result;
}

/** Combines the default attempt and the legacy one into one result. */
function mergeLegacy(first: Attempt, second: Attempt): HostResult {
  const failure = first.failure as HandshakeFailure;
  const transcript = first.result.transcript && second.result.transcript
    ? [...first.result.transcript, '(retry with the legacy TLS profile)',
      ...second.result.transcript]
    : undefined;
  const tls = second.result.tls;
  if (second.result.outcome === 'tls' && tls) {
    tls.legacyRetry = true;
    tls.defaultFailure = defaultFailureText(failure, tls);
    const result = second.result;
    result.detail = `${result.detail}; only with the legacy profile, the default one failed: ` +
      `${tls.defaultFailure}`;
    if (transcript) result.transcript = transcript;
    return result;
  }
  const result = first.result;
  if (second.failure && ['protocol', 'cipher', 'dh'].includes(second.failure.kind)) {
    result.detail = `STARTTLS offered, handshake failed with the default and the legacy ` +
      `profile: ${failure.reason} (${failure.code}: ${failure.message}); not measurable with ` +
      `local TLS library (the server may need a protocol or cipher it lacks, such as RC4)`;
  } else {
    result.detail = `${result.detail}; the legacy retry ended with ${second.result.outcome}: ` +
      `${second.result.detail}`;
  }
  if (transcript) result.transcript = transcript;
  return result;
}

/** The default profile's failure, told with what the legacy handshake then showed. */
function defaultFailureText(failure: HandshakeFailure, tls: TlsSession): string {
  const code = `(${failure.code})`;
  if (failure.kind === 'protocol') {
    return `server max protocol ${protocolLabel(tls.protocol)} below client minimum ${code}`;
  }
  if (failure.kind === 'dh' && tls.keyExchange?.size !== undefined) {
    return `server DH ${tls.keyExchange.size} bits below client minimum ${code}`;
  }
  return `${failure.reason} ${code}`;
}

/** One session from connect to QUIT with `profile` for the handshake. */
async function attempt(target: HostTarget, options: HostProbeOptions, profile: TlsProfile,
  closings: Promise<void>[]): Promise<Attempt> {
  const started = performance.now();
  const session = new SmtpSession(target, {
    ...(options.helo === undefined ? {} : { helo: options.helo }),
    ...(options.timeouts === undefined ? {} : { timeouts: options.timeouts }),
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    transcript: options.transcript === true,
  });
  const result: HostResult = {
    host: session.serverName,
    address: target.address,
    family: target.family,
    port: target.port,
    outcome: 'connect-failed',
    detail: '',
    temporary: false,
    starttls: 'unknown',
    timings: { total: 0 },
  };
  let failure: HandshakeFailure | undefined;
  try {
    await session.connect();
    result.greeting = await session.readGreeting();
    await hello(session, result);
    if (result.outcome !== 'ehlo-rejected') {
      const extensions = session.extensions ?? {};
      // TODO: there is no force mode that sends STARTTLS although it was not advertised, so
      // a 502 "not implemented" is never recorded as confirmation.
      if (!hasExtension(extensions, 'STARTTLS')) {
        finish(result, 'starttls-not-offered', 'STARTTLS not offered in the EHLO reply');
        result.starttls = 'not-offered';
      } else {
        result.starttls = 'offered';
        await session.startTls(profile);
        result.starttlsReply = session.starttlsReply;
        const tls = describeSession(session.tlsSocket!, session.serverName,
          (options.now ?? Date.now)());
        result.tls = tls;
        finish(result, 'tls', tlsDetail(tls));
        await ehloAfterTls(session, result);
      }
    }
  } catch (error) {
    failure = classifyFailure(error, session.phase, result);
    if (options.signal?.aborted) {
      // Not the server's doing: the caller stopped the probe (Ctrl-C, a deadline).
      failure = undefined;
      finish(result, 'timeout', `probe aborted during ${session.phase}`, true);
    }
  }
  if (session.greeting && !result.greeting) result.greeting = session.greeting;
  if (session.extensions) result.extensions = session.extensions;
  if (session.starttlsReply) result.starttlsReply = session.starttlsReply;
  // QUIT only where the server is still in step with us; after a timeout or a broken reply
  // waiting for a 221 would only add the QUIT wait to every hostile host.
  const inStep = result.error === undefined || result.error.code === 'MXTLS_SMTP_REPLY';
  // The goodbye may finish in the background when the caller takes care of the closing; a
  // transcript must still show the 221.
  const background = options.onClosing !== undefined && !session.transcript;
  if (inStep && background) closings.push(session.quitInBackground());
  else if (inStep) await session.quit();
  else session.close();
  result.timings = { ...session.timings, total: performance.now() - started };
  if (session.transcript) result.transcript = session.transcript;
  return failure ? { result, failure } : { result };
}

/** EHLO, and HELO once when EHLO is refused with 5xx, to record how the server greets. */
async function hello(session: SmtpSession, result: HostResult): Promise<void> {
  try {
    const reply = await session.sendEhlo();
    result.hello = { command: 'EHLO', reply };
    result.extensions = session.extensions;
    return;
  } catch (error) {
    const code = error instanceof MxtlsError ? error.replyCode : undefined;
    if (code === undefined || code === 421 || code === 554 || code === 503) throw error;
    const text = session.ehloReply ? replyText(session.ehloReply) : String(code);
    finish(result, 'ehlo-rejected', `EHLO rejected: ${text}; STARTTLS not determinable`,
      code < 500);
    result.error = errorInfo(error);
  }
  if (result.temporary) return;
  try {
    result.hello = { command: 'HELO', reply: await session.sendHelo() };
  } catch {
    // HELO only serves to record the greeting; its refusal adds nothing to the finding.
  }
}

/** The EHLO after TLS; its failure is noted but does not undo the handshake's finding. */
async function ehloAfterTls(session: SmtpSession, result: HostResult): Promise<void> {
  try {
    await session.sendEhlo();
    const extensions = session.extensionsTls ?? {};
    result.extensionsTls = extensions;
    result.requireTls = hasExtension(extensions, 'REQUIRETLS');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    result.detail = `${result.detail}; EHLO after TLS failed: ${message}`;
  }
}

function tlsDetail(tls: TlsSession): string {
  const verdict = tls.certificate.summary === 'verified'
    ? 'certificate verified'
    : `certificate ${tls.certificate.summary}` +
      (tls.certificate.chainError ? ` (${tls.certificate.chainError})` : '');
  return `${protocolLabel(tls.protocol)} with ${tls.cipher.name}, ${verdict}`;
}
