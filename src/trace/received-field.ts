/**
 * Takes one Received field apart into clauses (RFC 5321 section 4.4, RFC 5322 section 3.6.7):
 * first into tokens (atoms, comments, quoted strings, `[literals]`, `<paths>`, `;`), then into
 * keyword clauses. Keywords are only ever whole top-level atoms, so a `with` or `from` inside a
 * comment or a quoted string never starts a clause. One pass, no backtracking.
 */
import type { Clause, ClauseKeyword, ReceivedField } from './types.js';
import { parseTraceDate, findTrailingDate } from './trace-date.js';

/** One token of a field: a word (atom, literal, path, quoted string), a comment or a `;`. */
export type ReceivedToken =
  | { kind: 'word'; text: string }
  | { kind: 'comment'; text: string }
  | { kind: 'semicolon' };

const KEYWORDS: ReadonlySet<string> = new Set(['from', 'by', 'via', 'with', 'id', 'for']);

/** Splits a field body into tokens; also reports unbalanced brackets it had to close. */
export function tokenizeReceived(body: string): { tokens: ReceivedToken[]; warnings: string[] } {
  const tokens: ReceivedToken[] = [];
  const warnings: string[] = [];
  const n = body.length;
  let i = 0;
  while (i < n) {
    const c = body[i] as string;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i += 1;
    } else if (c === '(') {
      const end = commentEnd(body, i);
      if (end.unclosed) warnings.push('Unbalanced parenthesis: the comment runs to the end');
      tokens.push({ kind: 'comment', text: body.slice(i + 1, end.close).trim() });
      i = end.next;
    } else if (c === ')') {
      // A stray closing parenthesis belongs to nothing; skip it.
      i += 1;
    } else if (c === ';') {
      tokens.push({ kind: 'semicolon' });
      i += 1;
    } else if (c === '"' || c === '[' || c === '<') {
      const close = c === '"' ? '"' : c === '[' ? ']' : '>';
      const end = delimitedEnd(body, i, close);
      if (end < 0) {
        warnings.push(`Unclosed ${c}: it runs to the end`);
        tokens.push({ kind: 'word', text: body.slice(i) });
        i = n;
      } else {
        const start = i;
        // A literal may run on into its atom, as in Exim's `[192.0.2.1]:25`.
        i = wordEnd(body, end + 1);
        tokens.push({ kind: 'word', text: body.slice(start, i) });
      }
    } else {
      const start = i;
      i = wordEnd(body, i);
      tokens.push({ kind: 'word', text: body.slice(start, i) });
    }
  }
  return { tokens, warnings };
}

/** Index after a run of atom characters (anything but space, parentheses and `;`). */
function wordEnd(body: string, from: number): number {
  let i = from;
  while (i < body.length) {
    const c = body[i];
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '(' || c === ')') break;
    if (c === ';') break;
    i += 1;
  }
  return i;
}

/** Index of the closing delimiter of a quoted string, literal or path, or -1. */
function delimitedEnd(body: string, open: number, close: string): number {
  for (let i = open + 1; i < body.length; i += 1) {
    const c = body[i];
    if (c === '\\' && close === '"') {
      i += 1;
    } else if (c === close) {
      return i;
    }
  }
  return -1;
}

/** Finds the matching `)` of the comment opened at `open`, honouring nesting and `\` escapes. */
function commentEnd(
  body: string,
  open: number,
): { close: number; next: number; unclosed: boolean } {
  let depth = 0;
  for (let i = open; i < body.length; i += 1) {
    const c = body[i];
    if (c === '\\') {
      i += 1;
    } else if (c === '(') {
      depth += 1;
    } else if (c === ')') {
      depth -= 1;
      if (depth === 0) return { close: i, next: i + 1, unclosed: false };
    }
  }
  return { close: body.length, next: body.length, unclosed: true };
}

/** Groups tokens into clauses; the date is whatever follows the last top-level `;`. */
export function parseReceived(body: string): ReceivedField {
  const raw = body.trim();
  const { tokens, warnings } = tokenizeReceived(raw);
  let lastSemicolon = -1;
  tokens.forEach((t, index) => {
    if (t.kind === 'semicolon') lastSemicolon = index;
  });
  const main = lastSemicolon >= 0 ? tokens.slice(0, lastSemicolon) : tokens;
  const tail = lastSemicolon >= 0 ? tokens.slice(lastSemicolon + 1) : [];

  const clauses: Clause[] = [];
  let current: Clause = { keyword: 'preamble', words: [], comments: [] };
  const seen = new Set<string>();
  for (const token of main) {
    if (token.kind === 'comment') {
      current.comments.push(token.text);
    } else if (token.kind === 'word') {
      const lower = token.text.toLowerCase();
      // `from` and `by` appear once; a second one (Domino's trailing "from <…>") is a word.
      if (KEYWORDS.has(lower) && !((lower === 'from' || lower === 'by') && seen.has(lower))) {
        pushClause(clauses, current);
        current = { keyword: lower as ClauseKeyword, words: [], comments: [] };
        seen.add(lower);
      } else {
        // TODO: RFC 5321 additional clauses (`Atom String`, e.g. Haraka's `envelope-from <…>`)
        // are not told apart; their words stay in the clause before them, so nothing is lost.
        current.words.push(token.text);
      }
    }
  }
  pushClause(clauses, current);

  let dateText: string | null = null;
  if (lastSemicolon >= 0) {
    const dateClause: Clause = { keyword: 'date', words: [], comments: [] };
    for (const token of tail) {
      if (token.kind === 'word') dateClause.words.push(token.text);
      else if (token.kind === 'comment') dateClause.comments.push(token.text);
    }
    dateText = dateClause.words.join(' ') || null;
    clauses.push(dateClause);
  } else {
    dateText = takeTrailingDate(clauses);
  }

  let date: string | null = null;
  if (dateText !== null) {
    date = parseTraceDate(dateText);
    if (date === null) warnings.push(`Cannot parse the date: "${dateText.slice(0, 100)}"`);
  } else {
    warnings.push('No date found');
  }
  return { raw, clauses, dateText, date, warnings };
}

function pushClause(clauses: Clause[], clause: Clause): void {
  if (clause.keyword !== 'preamble' || clause.words.length > 0 || clause.comments.length > 0) {
    clauses.push(clause);
  }
}

/**
 * A field without `;` (C29, C31) may still end in a date: look for one at the end of the last
 * clause, move it into a date clause and return its text.
 */
function takeTrailingDate(clauses: Clause[]): string | null {
  const last = clauses[clauses.length - 1];
  if (last === undefined) return null;
  // The keyword's own value stays: `id X <date>` keeps X.
  const keep = last.keyword === 'preamble' ? 0 : 1;
  const found = findTrailingDate(last.words, keep);
  if (found === null) return null;
  const dateWords = last.words.splice(found);
  clauses.push({ keyword: 'date', words: dateWords, comments: [] });
  return dateWords.join(' ');
}

/** The first clause with this keyword, if any. */
export function findClause(field: ReceivedField, keyword: ClauseKeyword): Clause | undefined {
  return field.clauses.find((clause) => clause.keyword === keyword);
}
