import { describe, expect, it } from 'vitest';
import { hasExtension, parseExtensions } from '../../../src/smtp/extensions.js';
import { ReplyParser } from '../../../src/smtp/reply.js';

function ehlo(text: string): Record<string, string[]> {
  const [reply] = new ReplyParser().push(Buffer.from(text));
  if (!reply) throw new Error('no complete reply in the fixture');
  return parseExtensions(reply);
}

const head = '250-mx.example.com Hello probe.example.net [192.0.2.10], pleased to meet you\r\n' +
  '250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n';

describe('parseExtensions (C04)', () => {
  it.each([
    ['on the last line', `${head}250-8BITMIME\r\n250 STARTTLS\r\n`],
    ['in lower case', `${head}250-starttls\r\n250 8BITMIME\r\n`],
    ['with a trailing space', `${head}250-STARTTLS \r\n250 8BITMIME\r\n`],
  ])('finds STARTTLS %s', (_name, text) => {
    expect(hasExtension(ehlo(text), 'STARTTLS')).toBe(true);
  });

  it('never takes the greeting line for an extension', () => {
    const extensions = ehlo('250-mx.example.com STARTTLS-capable relay\r\n250-PIPELINING\r\n' +
      '250 8BITMIME\r\n');
    expect(hasExtension(extensions, 'STARTTLS')).toBe(false);
    expect(Object.keys(extensions)).toEqual(['PIPELINING', '8BITMIME']);
  });

  it('does not find a keyword inside another token or a parameter', () => {
    const extensions = ehlo('250-mx.example.com\r\n250-X-STARTTLS-LATER\r\n' +
      '250 AUTH STARTTLS PLAIN\r\n');
    expect(hasExtension(extensions, 'STARTTLS')).toBe(false);
    expect(extensions.AUTH).toEqual(['STARTTLS', 'PLAIN']);
  });

  it('keeps parameters and upper-cases keywords', () => {
    const extensions = ehlo('250-mx\r\n250-size 52428800\r\n250 auth login plain\r\n');
    expect(extensions).toEqual({ SIZE: ['52428800'], AUTH: ['login', 'plain'] });
  });

  it('reads a one-line EHLO reply as no extensions', () => {
    expect(ehlo('250 mx.example.com\r\n')).toEqual({});
  });
});
