/**
 * Reading a partner list: one domain a line, or CSV with a `domain` column. The reader streams:
 * it yields each domain as its line arrives, so a list of any length costs only the set of names
 * already seen (to report duplicates).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { toDomainName } from '../dns/domain-name.js';
import { InputError } from '../errors.js';

/** Why a line of a list was skipped. */
export type ListIssueReason = 'invalid' | 'duplicate';

/** A skipped line, for the CLI to report on stderr. */
export interface ListIssue {
  /** 1-based line number in the list. */
  line: number;
  reason: ListIssueReason;
  /** The entry as written (sanitised by the caller before printing). */
  input: string;
  /** For duplicates: the line where the name first appeared. */
  firstLine?: number;
}

/** Options of readDomainList. */
export interface DomainListOptions {
  /** Called for every skipped line. Default: issues are ignored. */
  onIssue?: (issue: ListIssue) => void;
  /** Names to leave out silently, e.g. those a resumed run has done. Default: none. */
  skip?: ReadonlySet<string>;
}

/** Longest line the reader accepts; longer lines are reported as invalid, not parsed. */
const MAX_LINE = 4096;

/**
 * Turns a name as written into its normal form: A-labels, lower case, no trailing dot.
 * Returns undefined when it is not a usable mail domain (the rule of `toDomainName`).
 */
export function normalizeDomain(input: string): string | undefined {
  try {
    return toDomainName(input);
  } catch {
    return undefined;
  }
}

/** Splits one CSV record into fields (RFC 4180 quoting; no fields spanning lines). */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (c === ',') {
      fields.push(field.trim());
      field = '';
    } else {
      field += c;
    }
  }
  fields.push(field.trim());
  return fields;
}

/**
 * Opens a list by path; `-` means `stdin`. Throws InputError when the file cannot be read, on
 * the first read, so a mistyped path fails before any probe.
 */
export function openDomainList(path: string, stdin: NodeJS.ReadableStream): NodeJS.ReadableStream {
  if (path === '-') return stdin;
  const stream = createReadStream(path, { encoding: 'utf8' });
  return stream;
}

/**
 * Yields the domains of a list in order, normalised, each once. Comments (`#` to the end of
 * the line), blank lines and a CSV header are skipped; invalid names and duplicates are
 * reported through `onIssue` with their line number and skipped. A first line with commas
 * makes the list CSV: the column named `domain` (any case) is read, or the first column when
 * no field of the first line is called so.
 */
export async function* readDomainList(
  input: NodeJS.ReadableStream | AsyncIterable<string>,
  options: DomainListOptions = {},
): AsyncGenerator<string> {
  const seen = new Map<string, number>();
  const lines = isStream(input) ? createInterface({ input, crlfDelay: Infinity }) : input;
  let lineNumber = 0;
  let csvColumn: number | undefined;
  let formatKnown = false;
  try {
    for await (const raw of lines) {
      lineNumber += 1;
      let line = lineNumber === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (line.length > MAX_LINE) {
        options.onIssue?.({ line: lineNumber, reason: 'invalid', input: line.slice(0, 80) });
        continue;
      }
      const hash = line.indexOf('#');
      if (hash >= 0) line = line.slice(0, hash);
      if (line.trim() === '') continue;

      let entry = line.trim();
      if (!formatKnown) {
        formatKnown = true;
        if (entry.includes(',')) {
          const header = splitCsvLine(entry).map((f) => f.toLowerCase());
          const index = header.indexOf('domain');
          csvColumn = index >= 0 ? index : 0;
          if (index >= 0) continue;
        }
      }
      if (csvColumn !== undefined) entry = splitCsvLine(entry)[csvColumn] ?? '';

      const domain = normalizeDomain(entry);
      if (domain === undefined) {
        options.onIssue?.({ line: lineNumber, reason: 'invalid', input: entry });
        continue;
      }
      const first = seen.get(domain);
      if (first !== undefined) {
        const line = lineNumber;
        options.onIssue?.({ line, reason: 'duplicate', input: entry, firstLine: first });
        continue;
      }
      seen.set(domain, lineNumber);
      if (options.skip?.has(domain)) continue;
      yield domain;
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as { code?: string }).code ?? String(error);
    throw new InputError(`Cannot read the domain list: ${code}`, error);
  }
}

function isStream(input: unknown): input is NodeJS.ReadableStream {
  return typeof (input as NodeJS.ReadableStream).pipe === 'function';
}
