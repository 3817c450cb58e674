/**
 * Reads the header section of a message and returns its Received fields, unfolded, newest
 * first as they appear. Work is one pass over the input, and bounded: text beyond the header
 * bound and fields beyond the field bound are counted, not read.
 */

/** Default bound on header text: 1 MiB. */
export const MAX_HEADER_BYTES = 1024 * 1024;
/** Default bound on the number of Received fields. */
export const MAX_RECEIVED_FIELDS = 500;
/** A single Received field longer than this is cut; no real server writes one this long. */
export const MAX_FIELD_LENGTH = 64 * 1024;

/** The Received fields of a message, with what was left out. */
export interface TraceFields {
  /** Field bodies (text after `Received:`), unfolded, in message order (newest first). */
  received: string[];
  warnings: string[];
  skippedHeaderBytes: number;
  skippedReceivedFields: number;
  malformedLines: number;
}

/** Limits for `readTraceFields`; both default to the constants above. */
export interface HeaderLimits {
  maxHeaderBytes?: number;
  maxReceivedFields?: number;
}

/**
 * Returns the Received fields of a whole message or of its headers alone. Accepts LF or CRLF,
 * folded lines (tab or space), leading mbox `From ` lines, and stops at the first empty line.
 */
export function readTraceFields(input: string | Buffer, limits: HeaderLimits = {}): TraceFields {
  const maxBytes = limits.maxHeaderBytes ?? MAX_HEADER_BYTES;
  const maxFields = limits.maxReceivedFields ?? MAX_RECEIVED_FIELDS;
  const text = typeof input === 'string' ? input : input.toString('utf8');
  const result: TraceFields = {
    received: [],
    warnings: [],
    skippedHeaderBytes: 0,
    skippedReceivedFields: 0,
    malformedLines: 0,
  };

  const headerEnd = findHeaderEnd(text, maxBytes);
  if (headerEnd.cut > 0) {
    result.skippedHeaderBytes = headerEnd.cut;
    result.warnings.push(
      `Skipped ${headerEnd.cut} characters of headers beyond the limit of ${maxBytes}`,
    );
  }
  const lines = text.slice(0, headerEnd.end).split('\n');

  // Fields are gathered as arrays of line parts so that folding stays linear.
  let current: string[] | null = null;
  let seenField = false;
  const flush = (): void => {
    if (current === null) return;
    const body = current.join('');
    current = null;
    if (result.received.length >= maxFields) {
      result.skippedReceivedFields += 1;
      return;
    }
    if (body.length > MAX_FIELD_LENGTH) {
      result.warnings.push(
        `Received field ${result.received.length + 1} is ${body.length} characters long; ` +
          `read the first ${MAX_FIELD_LENGTH}`,
      );
      result.received.push(body.slice(0, MAX_FIELD_LENGTH));
      return;
    }
    result.received.push(body);
  };

  // TODO: lines ended by a lone CR (classic Mac files) are not split, so such a header reads
  // as one long line and yields at most one Received field.
  for (const rawLine of lines) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.length === 0) continue;
    const first = line.charCodeAt(0);
    if (first === 0x20 || first === 0x09) {
      if (current !== null) current.push(line);
      else if (!seenField) result.malformedLines += 1;
      continue;
    }
    if (!seenField && (line.startsWith('From ') || line.startsWith('>From '))) continue;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!isFieldName(name)) {
      flush();
      result.malformedLines += 1;
      continue;
    }
    flush();
    seenField = true;
    if (name.toLowerCase() === 'received') current = [line.slice(colon + 1)];
  }
  flush();

  if (result.skippedReceivedFields > 0) {
    result.warnings.push(
      `Skipped ${result.skippedReceivedFields} Received fields beyond the limit of ${maxFields}`,
    );
  }
  if (result.malformedLines > 0) {
    result.warnings.push(`Skipped ${result.malformedLines} lines that are not header fields`);
  }
  return result;
}

/** Where the header section ends (the first empty line), and how much lies past the bound. */
function findHeaderEnd(text: string, maxBytes: number): { end: number; cut: number } {
  const lf = text.indexOf('\n\n');
  const crlf = text.indexOf('\n\r\n');
  const blanks = [lf, crlf].filter((i) => i >= 0);
  let end = blanks.length > 0 ? Math.min(...blanks) : text.length;
  // A message that begins with an empty line has no header section at all.
  if (text.startsWith('\n') || text.startsWith('\r\n')) end = 0;
  if (end <= maxBytes) return { end, cut: 0 };
  return { end: maxBytes, cut: end - maxBytes };
}

/** RFC 5322 field names are printable ASCII without space or colon. */
function isFieldName(name: string): boolean {
  if (name.length === 0 || name.length > 200) return false;
  for (let i = 0; i < name.length; i += 1) {
    const c = name.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}
