/**
 * DNS messages on the wire (RFC 1035 4.1): the query mxtls sends and the decoding of a response
 * into the records the rest of mxtls uses. dns2 encodes and decodes; a walk over the raw bytes
 * checks every name and gives the raw RDATA that dns2 does not keep (TXT strings, TLSA).
 */
import dns2 from 'dns2';

import type { RecordType, ResourceRecord } from './types.js';

const { Packet } = dns2;

/** Type codes of the record types mxtls asks for (RFC 1035, RFC 3596, RFC 6698). */
export const TYPE_CODES: Record<RecordType, number> = {
  A: 1,
  CNAME: 5,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  TLSA: 52,
};

const TYPE_NAMES = new Map<number, RecordType>(
  Object.entries(TYPE_CODES).map(([name, code]) => [code, name as RecordType]),
);

const CLASS_IN = 1;
const TYPE_SOA = 6;

/** The UDP payload size we advertise: the DNS flag day 2020 value, which avoids fragments. */
export const EDNS_PAYLOAD = 1232;

/** RFC 1035 4.1.4 allows pointers anywhere; a name has at most 127 labels, so more is a loop. */
const MAX_POINTER_HOPS = 127;

/** A response that cannot be decoded; the resolver turns it into MXTLS_DNS_MALFORMED. */
export class MalformedMessage extends Error {}

/** The parts of a response that the resolver looks at. */
export interface DecodedResponse {
  id: number;
  truncated: boolean;
  authenticated: boolean;
  /** The response code, with the EDNS extended bits merged in. */
  rcode: number;
  question?: { name: string; type: number };
  /** Records of the types mxtls knows, from the answer section; others are skipped. */
  answers: ResourceRecord[];
  /** The negative-caching TTL of an SOA in the authority section (RFC 2308 5), if any. */
  negativeTtl?: number;
}

/** Lower case, no trailing dot; the root is "." so that it can never pass for a host name. */
export function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  const bare = lower.endsWith('.') ? lower.slice(0, -1) : lower;
  return bare === '' ? '.' : bare;
}

/**
 * A query for one question with RD set and an EDNS0 OPT record (payload 1232, DO bit), so that
 * a validating resolver reports DNSSEC status in the AD bit (RFC 6840 5.7).
 */
export function encodeQuery(id: number, name: string, type: RecordType): Buffer {
  const packet = new Packet();
  packet.header.id = id;
  packet.header.rd = 1;
  // dns2's typings lag behind its code: the question needs no methods, EDNS takes options.
  (packet.questions as unknown[]).push({ name, type: TYPE_CODES[type], class: CLASS_IN });
  const edns = Packet.Resource.EDNS as unknown as (rdata: [], options: object) => unknown;
  (packet.additionals as unknown[]).push(
    edns([], { udpPayloadSize: EDNS_PAYLOAD, doFlag: true }),
  );
  return packet.toBuffer();
}

/** Decodes a response; throws MalformedMessage for anything that does not parse cleanly. */
export function decodeResponse(message: Buffer): DecodedResponse {
  const layout = walkMessage(message);
  let packet: InstanceType<typeof Packet>;
  try {
    packet = Packet.parse(message);
  } catch (error) {
    throw new MalformedMessage(`cannot parse the message: ${String(error)}`);
  }

  // dns2 skips a record it cannot decode and carries on; a short section means a bad record.
  if (packet.answers.length !== layout.answers.length) {
    throw new MalformedMessage('an answer record does not decode');
  }

  const header = packet.header as typeof packet.header & { ad?: number };
  const question = packet.questions[0];
  const response: DecodedResponse = {
    id: header.id,
    truncated: header.tc === 1,
    authenticated: header.ad === 1,
    rcode: header.rcode,
    answers: [],
  };
  if (question) {
    response.question = { name: normalizeName(String(question.name)), type: question.type };
  }

  layout.answers.forEach((raw, index) => {
    const record = decodeRecord(raw, packet.answers[index] as unknown as Decoded, message);
    if (record) response.answers.push(record);
  });

  const soa = (packet.authorities as unknown as Decoded[]).find((r) => r?.type === TYPE_SOA);
  if (soa && typeof soa.minimum === 'number') {
    response.negativeTtl = Math.min(soa.ttl, soa.minimum);
  }
  return response;
}

/** What dns2 gives for one record; only the fields mxtls reads. */
interface Decoded {
  name: string;
  type: number;
  class: number;
  ttl: number;
  address?: string;
  priority?: number;
  exchange?: string;
  domain?: string;
  minimum?: number;
}

interface RawRecord {
  type: number;
  rdataStart: number;
  rdataLength: number;
}

function decodeRecord(raw: RawRecord, decoded: Decoded, message: Buffer) {
  const type = TYPE_NAMES.get(raw.type);
  if (!type || decoded.class !== CLASS_IN) return undefined;
  const name = normalizeName(decoded.name);
  const ttl = decoded.ttl;
  const rdata = message.subarray(raw.rdataStart, raw.rdataStart + raw.rdataLength);

  switch (type) {
    case 'A':
    case 'AAAA':
      if (rdata.length !== (type === 'A' ? 4 : 16) || typeof decoded.address !== 'string') {
        throw new MalformedMessage(`a ${type} record has ${rdata.length} bytes of data`);
      }
      return { type, name, ttl, address: decoded.address } satisfies ResourceRecord;
    case 'MX':
      return {
        type,
        name,
        ttl,
        preference: decoded.priority ?? 0,
        exchange: normalizeName(decoded.exchange ?? ''),
      } satisfies ResourceRecord;
    case 'CNAME':
      return {
        type,
        name,
        ttl,
        target: normalizeName(decoded.domain ?? ''),
      } satisfies ResourceRecord;
    case 'TXT':
      return { type, name, ttl, strings: readCharacterStrings(rdata) } satisfies ResourceRecord;
    case 'TLSA':
      if (rdata.length < 3) throw new MalformedMessage('a TLSA record is shorter than 3 bytes');
      return {
        type,
        name,
        ttl,
        usage: rdata[0] ?? 0,
        selector: rdata[1] ?? 0,
        matchingType: rdata[2] ?? 0,
        data: Buffer.from(rdata.subarray(3)),
      } satisfies ResourceRecord;
  }
}

/** TXT RDATA is one or more length-prefixed strings (RFC 1035 3.3.14); each is kept apart. */
function readCharacterStrings(rdata: Buffer): string[] {
  const strings: string[] = [];
  let offset = 0;
  while (offset < rdata.length) {
    const length = rdata[offset] ?? 0;
    const end = offset + 1 + length;
    if (end > rdata.length) throw new MalformedMessage('a TXT string runs past its record');
    strings.push(rdata.toString('utf8', offset + 1, end));
    offset = end;
  }
  return strings;
}

/**
 * Walks the header, questions and answers over the raw bytes, checking lengths and every
 * name's compression pointers, and notes where each answer's RDATA sits.
 */
function walkMessage(message: Buffer): { answers: RawRecord[] } {
  if (message.length < 12) throw new MalformedMessage('the message is shorter than a header');
  const qdcount = message.readUInt16BE(4);
  const ancount = message.readUInt16BE(6);
  let offset = 12;

  for (let i = 0; i < qdcount; i += 1) {
    offset = skipName(message, offset) + 4;
    if (offset > message.length) throw new MalformedMessage('a question runs past the message');
  }

  const answers: RawRecord[] = [];
  for (let i = 0; i < ancount; i += 1) {
    offset = skipName(message, offset);
    if (offset + 10 > message.length) throw new MalformedMessage('a record runs past the message');
    const type = message.readUInt16BE(offset);
    const rdataLength = message.readUInt16BE(offset + 8);
    const rdataStart = offset + 10;
    if (rdataStart + rdataLength > message.length) {
      throw new MalformedMessage('a record runs past the message');
    }
    // Names inside RDATA get the same pointer checks as owner names.
    if (type === TYPE_CODES.MX) checkNameWithin(message, rdataStart + 2, rdataStart + rdataLength);
    if (type === TYPE_CODES.CNAME) checkNameWithin(message, rdataStart, rdataStart + rdataLength);
    answers.push({ type, rdataStart, rdataLength });
    offset = rdataStart + rdataLength;
  }
  return { answers };
}

function checkNameWithin(message: Buffer, start: number, end: number): void {
  if (start >= end || skipName(message, start) > end) {
    throw new MalformedMessage('a name runs past its record');
  }
}

/**
 * Follows one name and returns the offset just after it in the byte stream. Pointers must point
 * backwards (so no name can loop or reach data not yet written) and may be followed at most
 * 127 times.
 */
function skipName(message: Buffer, start: number): number {
  let position = start;
  let end = -1;
  let hops = 0;
  let octets = 1;

  for (;;) {
    const length = message[position];
    if (length === undefined) throw new MalformedMessage('a name runs past the message');

    if ((length & 0xc0) === 0xc0) {
      const low = message[position + 1];
      if (low === undefined) throw new MalformedMessage('a name pointer runs past the message');
      const target = ((length & 0x3f) << 8) | low;
      if (target >= position) throw new MalformedMessage('a name pointer does not point back');
      hops += 1;
      if (hops > MAX_POINTER_HOPS) throw new MalformedMessage('a name has too many pointers');
      if (end < 0) end = position + 2;
      position = target;
      continue;
    }
    if ((length & 0xc0) !== 0) throw new MalformedMessage('a name has a reserved label type');
    if (length === 0) return end < 0 ? position + 1 : end;

    octets += length + 1;
    if (octets > 255) throw new MalformedMessage('a name is longer than 255 octets');
    position += length + 1;
  }
}
