/**
 * Runs a lab command with no stdin and a deadline, and collects what it printed. The lab never
 * waits on a child process without a bound.
 */
import { spawn } from 'node:child_process';

export interface CommandRun {
  /** The exit code; null when the deadline or a signal ended the command. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command` with `args`; killed after `timeoutMs`. Rejects only when it cannot start. */
export function runCommand(
  command: string,
  args: string[],
  options: { timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<CommandRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
      ...(options.env ? { env: options.env } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
