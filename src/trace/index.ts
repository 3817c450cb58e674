/**
 * Trace analysis: reads a message's Received fields and says, hop by hop, whether the message
 * travelled encrypted. `parseMessage` is the entry point; the parts are exported for callers
 * (such as `mxtls compare`) that already hold parsed fields.
 *
 * ```ts
 * const trace = parseMessage(readFileSync('message.eml'), { internalNetworks: ['127.0.0.1/32'] });
 * for (const h of trace.handoffs) console.log(h.hop, h.from, '→', h.to, h.verdict, h.protocol);
 * ```
 *
 * The pipeline: `readTraceFields` (header section → unfolded Received bodies, bounded),
 * `parseReceived` (body → clauses and date), `analyzeTrace` (fields → judged hops). The TLS
 * rules live in tls-markers.ts, the server dialects in recorders.ts, providers that span
 * several domains in organisations.ts.
 */
import { InputError } from '../errors.js';
import { readTraceFields } from './header-fields.js';
import { parseReceived } from './received-field.js';
import { analyzeTrace } from './analyze-trace.js';
import type { Trace, TraceOptions } from './types.js';

/**
 * Parses a whole message or its headers alone and returns its trace: hops oldest first, the
 * hand-offs between organisations, a summary, warnings and what was skipped. Never throws on
 * bad input (problems become warnings), except UsageError for an invalid `internalNetworks`
 * and InputError for something that is not text at all.
 */
export function parseMessage(text: string | Buffer, options: TraceOptions = {}): Trace {
  // The one input that is a caller's mistake rather than a bad message.
  if (typeof text !== 'string' && !Buffer.isBuffer(text)) {
    throw new InputError(`Cannot trace a message given as ${typeof text}: pass a string or ` +
      'a Buffer');
  }
  const read = readTraceFields(text, {
    maxHeaderBytes: options.maxHeaderBytes,
    maxReceivedFields: options.maxReceivedFields,
  });
  const fields = read.received.map(parseReceived);
  return analyzeTrace(fields, options, {
    warnings: read.warnings,
    skipped: {
      headerBytes: read.skippedHeaderBytes,
      receivedFields: read.skippedReceivedFields,
      malformedLines: read.malformedLines,
    },
  });
}

export { readTraceFields, type TraceFields, type HeaderLimits } from './header-fields.js';
export { parseReceived, tokenizeReceived, type ReceivedToken } from './received-field.js';
export { parseTraceDate } from './trace-date.js';
export { parseAddress, parseNetwork, inNetworks, DEFAULT_INTERNAL_NETWORKS } from './addresses.js';
export {
  readTlsMarkers,
  normaliseVersion,
  isCipherToken,
  VERSION_NOT_STATED,
} from './tls-markers.js';
export type { TlsMarkers } from './tls-markers.js';
export { RECORDERS, UNKNOWN_RECORDER, recogniseRecorder } from './recorders.js';
export type { RecorderRule, RecorderContext } from './recorders.js';
export { analyzeTrace, parseInternalNetworks, senderName, formatSeconds } from './analyze-trace.js';
export {
  PROVIDER_DOMAINS,
  organisation,
  organisationName,
  sameOrganisation,
} from './organisations.js';
export * from './types.js';
