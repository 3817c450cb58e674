/**
 * The streams and environment a command runs with. The CLI passes the process's own; tests
 * pass buffers, so that they can read what a command printed without spawning it.
 */
import type { Writable } from 'node:stream';

export interface CliIo {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  stdin: NodeJS.ReadableStream;
  /** Aborted on Ctrl-C; long commands stop cleanly and keep what they did. */
  signal: AbortSignal;
}

/** Writes one line to a stream. */
export function writeLine(stream: Writable, line = ''): void {
  stream.write(`${line}\n`);
}
