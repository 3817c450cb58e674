/**
 * What counts as a domain to look up mail hosts for: the Domain of RFC 5321 4.1.2 (letters,
 * digits and inner hyphens only, so no underscore), at most 253 characters, at least
 * two labels of 1 to 63, given in Unicode or A-labels, and not an IPv4 address.
 */
import { domainToASCII } from 'node:url';
import { InputError } from '../errors.js';

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** The A-label, lower-case form of `name` (trailing dot removed), or InputError. */
export function toDomainName(name: string): string {
  const ascii = domainToASCII(name.trim().replace(/\.$/, '')).toLowerCase();
  const labels = ascii.split('.');
  const valid = ascii.length > 0 && ascii.length <= 253 && labels.length >= 2 &&
    labels.every((label) => LABEL.test(label));
  if (!valid) throw new InputError(`Cannot scan "${name}": not a domain name`);
  // A top-level label of digits only is an IPv4 address: an address has no MX to look up.
  if (/^\d+$/.test(labels[labels.length - 1] ?? '')) {
    throw new InputError(`Cannot scan "${name}": an IP address, not a domain name`);
  }
  return ascii;
}
