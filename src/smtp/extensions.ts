/**
 * SMTP service extensions (RFC 5321 4.1.1.1): the EHLO reply parsed once into a map of
 * keyword to parameters, so that later checks look a keyword up instead of searching the raw
 * text (where "STARTTLS" could sit inside the greeting line or another token).
 */
import type { Reply } from '../probe/types.js';

/** Extension keywords, upper-cased, to their parameters. */
export type Extensions = Record<string, string[]>;

/**
 * Parses an EHLO reply. The first line is the server's greeting ("mx.example.com Hello ..."),
 * never an extension; each later line is a keyword followed by space-separated parameters.
 */
export function parseExtensions(reply: Reply): Extensions {
  const extensions: Extensions = {};
  for (const line of reply.lines.slice(1)) {
    const tokens = line.trim().split(/\s+/).filter((token) => token !== '');
    const keyword = tokens[0];
    if (!keyword || !/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(keyword)) continue;
    const upper = keyword.toUpperCase();
    // A repeated keyword keeps its first parameters: a server that lists one twice is odd,
    // and the first occurrence is what a sender would act on.
    if (!(upper in extensions)) extensions[upper] = tokens.slice(1);
  }
  return extensions;
}

/** Whether the map holds `keyword`, in any case. */
export function hasExtension(extensions: Extensions, keyword: string): boolean {
  return Object.hasOwn(extensions, keyword.toUpperCase());
}
