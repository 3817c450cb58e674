/**
 * Reads a message for `trace` and `compare`: a file path, or `-` for stdin. Only the first
 * 64 MiB are read: the header bound the trace parser applies is far below that, and the body
 * of a large message is not needed.
 */
import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.js';
import type { CliIo } from './io.js';

/** Bytes read from stdin or a file at most. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** The message at `source` (a path, or `-` for stdin); InputError when it cannot be read. */
export async function readMessage(source: string, io: CliIo): Promise<Buffer> {
  return source === '-' ? readStream(io.stdin) : readMessageFile(source);
}

async function readMessageFile(path: string): Promise<Buffer> {
  try {
    const data = await readFile(path);
    return data.length > MAX_MESSAGE_BYTES ? data.subarray(0, MAX_MESSAGE_BYTES) : data;
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new InputError(`Cannot read message "${path}": ${reason}`, error);
  }
}

async function readStream(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      chunks.push(buffer);
      size += buffer.length;
      // Headers come first; past the bound the rest of the message is not needed.
      if (size >= MAX_MESSAGE_BYTES) break;
    }
  } catch (error) {
    throw new InputError('Cannot read the message from stdin: the stream failed', error);
  }
  return Buffer.concat(chunks);
}
