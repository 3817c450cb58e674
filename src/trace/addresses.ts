/**
 * IP addresses as Received fields write them: `[192.0.2.1]`, `[IPv6:2001:db8::1]`, bare IPv6 in
 * parentheses (Exchange), `[fe80::1%9]]` with a zone index and a stray bracket, IPv4-mapped
 * `::ffff:192.0.2.1`; and the CIDR test that decides which addresses are internal.
 */
import { isIP } from 'node:net';

/** Default internal networks: loopback, RFC 1918, shared (RFC 6598), link-local, ULA. */
export const DEFAULT_INTERNAL_NETWORKS: readonly string[] = [
  '127.0.0.0/8',
  '::1/128',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '169.254.0.0/16',
  'fc00::/7',
  'fe80::/10',
];

/**
 * Returns the normalised address in a piece of text such as `[IPv6:2001:db8::1]`,
 * `192.0.2.1:25` or `fe80::1%9]]`, or null when the text holds no address.
 */
export function parseAddress(text: string): string | null {
  let t = text.trim();
  // `?IPv6:…?` is a HELO argument some clients send; it is not the recorded address.
  if (t.startsWith('?')) return null;
  t = t.replace(/^\[+/, '').replace(/\]+.*$/, '');
  if (/^ipv6:/i.test(t)) t = t.slice(5);
  const zone = t.indexOf('%');
  if (zone >= 0) t = t.slice(0, zone);
  // Exim and Courier append the client port: `192.0.2.1:25` or `[…]:25` (already cut above).
  const v4port = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(t);
  if (v4port) t = v4port[1] as string;
  const kind = isIP(t);
  if (kind === 4) return t;
  if (kind === 6) return normaliseIpv6(t);
  return null;
}

function normaliseIpv6(address: string): string {
  const lower = address.toLowerCase();
  const mapped = /^(?:0{0,4}:){0,5}(?:0{0,4}:)?:?ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(lower);
  if (mapped && isIP(mapped[1] as string) === 4) return mapped[1] as string;
  return lower;
}

/** A parsed CIDR range. */
export interface Network {
  text: string;
  family: 4 | 6;
  bits: bigint;
  prefix: number;
}

/** Parses `192.0.2.0/24`, `::1/128` or a bare address (a /32 or /128); null when invalid. */
export function parseNetwork(text: string): Network | null {
  const [addressText, prefixText] = text.trim().split('/');
  if (addressText === undefined) return null;
  const family = isIP(addressText);
  if (family !== 4 && family !== 6) return null;
  const width = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? width : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > width) return null;
  return { text, family, bits: addressBits(addressText, family), prefix };
}

/** Whether an address lies inside any of the networks. */
export function inNetworks(address: string, networks: readonly Network[]): boolean {
  const family = isIP(address);
  if (family !== 4 && family !== 6) return false;
  const bits = addressBits(address, family);
  const width = family === 4 ? 32 : 128;
  return networks.some((net) => {
    if (net.family !== family) return false;
    const shift = BigInt(width - net.prefix);
    return bits >> shift === net.bits >> shift;
  });
}

function addressBits(address: string, family: 4 | 6): bigint {
  if (family === 4) {
    return address.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
  }
  let text = address.toLowerCase();
  // An embedded IPv4 tail becomes two hex groups.
  const v4 = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (v4) {
    const n = addressBits(v4[1] as string, 4);
    text = `${text.slice(0, v4.index)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(Math.max(missing, 0)).fill('0'), ...tailGroups];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16) || 0), 0n);
}
