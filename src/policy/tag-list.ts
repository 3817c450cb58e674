/**
 * The `name=value; name=value` syntax that both the MTA-STS record (RFC 8461 3.1) and the
 * TLS-RPT record (RFC 8460 3) use: fields separated by a semicolon with optional white space
 * around it, an optional trailing semicolon, the version field first.
 */

/** One field as it appears in the record. */
export interface TagField {
  name: string;
  value: string;
}

/** Why a record did not parse, as a short phrase for a "Cannot ..." sentence. */
export type TagListProblem = string;

/**
 * Joins the strings of one TXT record: a record longer than 255 bytes is split into several
 * strings on the wire, and RFC 8461 3.1 and RFC 8460 3 read them as one value.
 */
export function joinTxtStrings(strings: readonly string[]): string {
  return strings.join('');
}

/**
 * Splits a record into its fields, or returns the problem. Field names must match
 * `namePattern`; values are checked by the caller, which knows their grammar.
 */
export function parseTagList(
  text: string,
  namePattern: RegExp,
): { fields: TagField[] } | { problem: TagListProblem } {
  // Only a trailing separator may leave an empty part; an empty field in the middle
  // (";;") is a syntax error in both grammars.
  const parts = text.split(/[ \t]*;[ \t]*/);
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  const fields: TagField[] = [];
  for (const part of parts) {
    const equals = part.indexOf('=');
    if (equals <= 0) return { problem: `field "${part}" is not name=value` };
    const name = part.slice(0, equals);
    const value = part.slice(equals + 1);
    if (!namePattern.test(name)) return { problem: `field name "${name}" is not valid` };
    if (value === '') return { problem: `field "${name}" has no value` };
    fields.push({ name, value });
  }
  return { fields };
}
