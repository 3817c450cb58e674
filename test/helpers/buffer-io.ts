/** A CliIo for command tests: output lands in strings, stdin holds the given input. */
import { PassThrough, Writable } from 'node:stream';
import type { CliIo } from '../../src/cli/io.js';

/** Returns the io and readers of what the command wrote. */
export function bufferIo(input = ''): { io: CliIo; out: () => string; err: () => string } {
  const chunks = { out: [] as string[], err: [] as string[] };
  const sink = (target: string[]): Writable =>
    new Writable({
      write(chunk, _encoding, done) {
        target.push(String(chunk));
        done();
      },
    });
  const stdin = new PassThrough();
  stdin.end(input);
  const io: CliIo = {
    stdout: sink(chunks.out),
    stderr: sink(chunks.err),
    stdin,
    signal: new AbortController().signal,
  };
  return { io, out: () => chunks.out.join(''), err: () => chunks.err.join('') };
}
