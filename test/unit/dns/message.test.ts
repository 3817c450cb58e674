/**
 * Decoding responses: the dns2 name decoder's own loop guard (which mxtls relies on), TXT and
 * TLSA from raw RDATA, and the checks on lengths and pointers that make a message malformed.
 */
import dns2 from 'dns2';
import { describe, expect, it } from 'vitest';

import {
  decodeResponse,
  encodeQuery,
  MalformedMessage,
  normalizeName,
} from '../../../src/dns/message.js';
import { buildResponse, hex } from './raw-servers.js';

const { Packet } = dns2;

describe('dns2 name decoding', () => {
  it('throws on a pointer cycle instead of looping', () => {
    // Offset 0 points to 2, offset 2 points back to 0.
    const bytes = hex('c0 02 c0 00');
    expect(() => Packet.Name.decode(new Packet.Reader(bytes, 0))).toThrowError(/cycle/);
  });

  it('throws on a pointer to itself', () => {
    expect(() => Packet.Name.decode(new Packet.Reader(hex('c0 00'), 0))).toThrowError(/cycle/);
  });
});

describe('decodeResponse', () => {
  const query = encodeQuery(0x4242, 'example.test', 'TXT');

  it('keeps the query id, question and flags', () => {
    const response = decodeResponse(buildResponse(query, [], { tc: 1, ad: 1, rcode: 3 }));
    expect(response).toMatchObject({
      id: 0x4242,
      truncated: true,
      authenticated: true,
      rcode: 3,
      question: { name: 'example.test', type: 16 },
      answers: [],
    });
  });

  it('keeps every TXT character-string, including empty ones', () => {
    const message = buildResponse(query, [
      { name: 'example.test', type: 16, data: ['v=spf1', '', ' -all'] },
    ]);
    expect(decodeResponse(message).answers).toEqual([
      { type: 'TXT', name: 'example.test', ttl: 300, strings: ['v=spf1', '', ' -all'] },
    ]);
  });

  it('decodes TLSA from the raw RDATA', () => {
    const data = Buffer.from([3, 0, 1, 0xde, 0xad, 0xbe, 0xef]);
    const message = buildResponse(query, [{ name: '_25._tcp.example.test', type: 52, data }]);
    const [record] = decodeResponse(message).answers;
    expect(record).toMatchObject({ type: 'TLSA', usage: 3, selector: 0, matchingType: 1 });
    expect(record?.type === 'TLSA' && record.data.toString('hex')).toBe('deadbeef');
  });

  it('skips record types mxtls does not read', () => {
    const message = buildResponse(query, [
      { name: 'example.test', type: 2, ns: 'ns.example.test' },
      { name: 'example.test', type: 16, data: ['kept'] },
    ]);
    expect(decodeResponse(message).answers.map((r) => r.type)).toEqual(['TXT']);
  });

  it('rejects a TXT string that runs past its record', () => {
    const message = buildResponse(query, [{ name: 'example.test', type: 16, data: ['abc'] }]);
    // The last byte of the message is the TXT string's last byte; claim one more.
    message[message.length - 4] = 4;
    expect(() => decodeResponse(message)).toThrow(MalformedMessage);
  });

  it('rejects an A record with the wrong data length', () => {
    const message = buildResponse(encodeQuery(1, 'example.test', 'A'), [
      { name: 'example.test', type: 52, data: Buffer.from([1, 2, 3, 4, 5]) },
    ]);
    // Relabel the TLSA record as an A record: five bytes of data where four belong.
    const typeOffset = message.length - 5 - 10;
    message.writeUInt16BE(1, typeOffset);
    expect(() => decodeResponse(message)).toThrow(/A record has 5 bytes/);
  });

  it('rejects a message shorter than a header, and one with a reserved label type', () => {
    expect(() => decodeResponse(hex('12 34 81 80'))).toThrow(MalformedMessage);
    const bad = hex('12 34 81 80 00 01 00 00 00 00 00 00 40 00 00 01 00 01');
    expect(() => decodeResponse(bad)).toThrow(/reserved label type/);
  });

  it('rejects a chain of backward pointers longer than a name can be', () => {
    // An unknown-type record holds 130 pointers, each to the one before it, the first to the
    // root name at offset 12; a CNAME's target is a pointer to the last of them.
    const header = hex('12 34 81 80 00 00 00 02 00 00 00 00');
    const pointers: number[] = [];
    let previous = 12;
    for (let i = 0; i < 130; i += 1) {
      const here = 12 + 11 + pointers.length;
      pointers.push(0xc0 | (previous >> 8), previous & 0xff);
      previous = here;
    }
    const holder = Buffer.concat([
      hex('00 ff 00 00 01 00 00 00 00'),
      Buffer.from([pointers.length >> 8, pointers.length & 0xff]),
      Buffer.from(pointers),
    ]);
    const cname = Buffer.concat([
      hex('00 00 05 00 01 00 00 00 00 00 02'),
      Buffer.from([0xc0 | (previous >> 8), previous & 0xff]),
    ]);
    const message = Buffer.concat([header, holder, cname]);
    expect(() => decodeResponse(message)).toThrow(/too many pointers/);
  });
});

describe('normalizeName', () => {
  it('lower-cases, drops the trailing dot and keeps the root as "."', () => {
    expect(normalizeName('MX1.Example.TEST.')).toBe('mx1.example.test');
    expect(normalizeName('.')).toBe('.');
    expect(normalizeName('')).toBe('.');
  });
});
