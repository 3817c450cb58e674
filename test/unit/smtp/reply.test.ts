import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseReplyLine, ReplyParser, ReplyReader } from '../../../src/smtp/reply.js';

function parseAll(chunks: string[], limits = {}): unknown[] {
  const parser = new ReplyParser(limits);
  return chunks.flatMap((chunk) => parser.push(Buffer.from(chunk, 'latin1')));
}

/** A stream whose readable side the test feeds by hand. */
function fakeSocket(): Duplex {
  return new Duplex({ read() {}, write(_chunk, _encoding, done) { done(); } });
}

describe('parseReplyLine', () => {
  it.each([
    ['250-SIZE 1000', { code: 250, continues: true, text: 'SIZE 1000' }],
    ['250 OK', { code: 250, continues: false, text: 'OK' }],
    ['220', { code: 220, continues: false, text: '' }],
    ['220 ', { code: 220, continues: false, text: '' }],
  ])('splits %j into code, separator and text', (line, expected) => {
    expect(parseReplyLine(line)).toEqual(expected);
  });

  it.each(['', '25', '2500 x', 'abc def', '250x', '650 nope'])('rejects %j', (line) => {
    expect(parseReplyLine(line)).toBeUndefined();
  });

  it('replaces control bytes in the text', () => {
    expect(parseReplyLine('250 a\u0007b')?.text).toBe('a\\x07b');
  });
});

describe('ReplyParser', () => {
  const reply = '250-mx.example.com\r\n250-STARTTLS\r\n250 8BITMIME\r\n';
  const expected = [{ code: 250, lines: ['mx.example.com', 'STARTTLS', '8BITMIME'] }];

  it('reads a multi-line reply delivered in one piece', () => {
    expect(parseAll([reply])).toEqual(expected);
  });

  it('reads the same reply delivered one byte at a time', () => {
    expect(parseAll(reply.split(''))).toEqual(expected);
  });

  it('reads the same reply split in the middle of CRLF and of a code', () => {
    expect(parseAll(['250-mx.example.com\r', '\n25', '0-STARTTLS\r\n250 8BIT', 'MIME\r\n']))
      .toEqual(expected);
  });

  it('tolerates bare LF line endings', () => {
    expect(parseAll([reply.replaceAll('\r\n', '\n')])).toEqual(expected);
  });

  it('ends a greeting at a bare 220 line', () => {
    expect(parseAll(['220-mx.example.com ESMTP\r\n220-monitored\r\n220\r\n'])).toEqual([
      { code: 220, lines: ['mx.example.com ESMTP', 'monitored', ''] },
    ]);
  });

  it('returns two replies that arrived in one chunk, in order', () => {
    expect(parseAll(['220 go ahead\r\n250 injected\r\n'])).toEqual([
      { code: 220, lines: ['go ahead'] },
      { code: 250, lines: ['injected'] },
    ]);
  });

  it('refuses a line longer than the limit even before it ends', () => {
    const parser = new ReplyParser({ maxLineBytes: 64 });
    parser.push(Buffer.from('220 '));
    expect(() => {
      for (let i = 0; i < 100; i += 1) parser.push(Buffer.from('x'));
    }).toThrow(/line longer than 64 bytes/);
  });

  it('refuses a complete line longer than the limit', () => {
    expect(() => parseAll([`250 ${'x'.repeat(100)}\r\n`], { maxLineBytes: 64 }))
      .toThrow(expect.objectContaining({ code: 'MXTLS_SMTP_PROTOCOL' }));
  });

  it('accepts a line of exactly the limit', () => {
    const line = `250 ${'x'.repeat(60)}`;
    expect(parseAll([`${line}\r\n`], { maxLineBytes: 64 })).toHaveLength(1);
  });

  it('refuses a reply with more lines than the limit', () => {
    expect(() => parseAll(['250-x\r\n'.repeat(11)], { maxLines: 10 }))
      .toThrow(/more than 10 lines|longer than 10 lines/);
  });

  it('refuses a reply larger than the byte limit', () => {
    expect(() => parseAll([`250-${'y'.repeat(90)}\r\n`.repeat(20)], { maxReplyBytes: 1000 }))
      .toThrow(/larger than 1000 bytes/);
  });

  it('refuses a reply whose lines carry different codes', () => {
    expect(() => parseAll(['250-a\r\n251 b\r\n'])).toThrow(/code changed from 250 to 251/);
  });

  it('refuses a line that is not a reply line', () => {
    expect(() => parseAll(['HTTP/1.1 400 Bad Request\r\n'])).toThrow(/malformed reply line/);
  });
});

describe('ReplyReader', () => {
  it('waits for a reply that arrives slowly in pieces', async () => {
    const socket = fakeSocket();
    const reader = new ReplyReader(socket);
    const pending = reader.read('greeting', 5000);
    socket.push('220-first\r\n');
    await new Promise((resolve) => setTimeout(resolve, 30));
    socket.push('220 last\r\n');
    await expect(pending).resolves.toEqual({ code: 220, lines: ['first', 'last'] });
  });

  it('times out naming the phase', async () => {
    const reader = new ReplyReader(fakeSocket(), {}, 'mx.example.com[127.0.0.1]:25');
    await expect(reader.read('ehlo', 50)).rejects.toMatchObject({
      code: 'MXTLS_SMTP_TIMEOUT',
      phase: 'ehlo',
      message: expect.stringContaining('mx.example.com[127.0.0.1]:25'),
    });
  });

  it('reports a close inside a reply as closed, not as a reply', async () => {
    const socket = fakeSocket();
    const reader = new ReplyReader(socket);
    const pending = reader.read('greeting', 5000);
    socket.push('220-half a greeting\r\n');
    socket.push(null);
    await expect(pending).rejects.toMatchObject({
      code: 'MXTLS_SMTP_CLOSED',
      message: expect.stringContaining('inside a reply'),
    });
  });

  it('rejects a waiting read when the bytes break a bound', async () => {
    const socket = fakeSocket();
    const reader = new ReplyReader(socket, { maxLineBytes: 32 });
    const pending = reader.read('greeting', 5000);
    socket.push('2'.repeat(100));
    await expect(pending).rejects.toMatchObject({ code: 'MXTLS_SMTP_PROTOCOL', phase: 'greeting' });
  });

  it('forgets queued replies when detached', async () => {
    const socket = fakeSocket();
    const reader = new ReplyReader(socket);
    socket.push('220 go ahead\r\n250 injected\r\n');
    await expect(reader.read('starttls', 1000)).resolves.toMatchObject({ code: 220 });
    expect(reader.hasBuffered).toBe(true);
    reader.detach();
    expect(reader.hasBuffered).toBe(false);
  });
});

describe('ReplyReader.detach', () => {
  it('rejects a read that is still waiting, instead of leaving it hanging', async () => {
    const reader = new ReplyReader(fakeSocket());
    const pending = reader.read('greeting', 60_000);
    reader.detach();
    await expect(pending).rejects.toMatchObject({ code: 'MXTLS_SMTP_CLOSED', phase: 'greeting' });
  });
});

describe('ReplyReader.takeQueued', () => {
  it('takes only the leading replies with the code and leaves the rest to read', async () => {
    const socket = fakeSocket();
    const reader = new ReplyReader(socket);
    socket.push('220 a\r\n220 b\r\n554 go away\r\n');
    await expect(reader.read('greeting', 1000)).resolves.toMatchObject({ lines: ['a'] });
    expect(reader.takeQueued(220)).toEqual([{ code: 220, lines: ['b'] }]);
    await expect(reader.read('ehlo', 1000)).resolves.toMatchObject({ code: 554 });
  });
});
