/**
 * The machine's bare handshake rate: the least a STARTTLS probe can do, with nothing else.
 *   node bare-loop.js ADDRESS_FILE CONCURRENCY CA_FILE [--ehlo-tls] [--dns RESOLVER]
 * For each `address name` line: connect to port 25, read the greeting, EHLO, STARTTLS, the
 * handshake (chain and name verified, one shared SecureContext), QUIT. No DNS, no parsing
 * beyond finding the end of a reply, no result objects. Prints one JSON line of counts.
 *
 * The two flags add one step of what mxtls does each, to measure what that step costs:
 * `--ehlo-tls` an EHLO after the handshake, `--dns` the lookups of `dN.fleet.test` (MX, then
 * A and AAAA of its exchange) through mxtls's own resolver before connecting.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext, type SecureContext } from 'node:tls';

import type { Resolver } from '../src/dns/types.js';

/** One session's deadline; a stuck server must not hang the benchmark. */
const SESSION_TIMEOUT_MS = 20_000;

interface Target {
  address: string;
  name: string;
}

interface Steps {
  ehloTls: boolean;
  resolver?: Resolver;
}

/** Resolves with the next complete reply (a final `NNN ` line) arriving on `socket`. */
function readReply(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      // A reply is complete when its last line has a space after the code.
      const start = text.lastIndexOf('\n', text.length - 2) + 1;
      if (text.endsWith('\n') && text.charAt(start + 3) === ' ') {
        done();
        resolve(text);
      }
    };
    const onEnd = (): void => {
      done();
      reject(new Error('closed before a reply'));
    };
    const done = (): void => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onEnd);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onEnd);
  });
}

async function expect(socket: Socket, code: string, command?: string): Promise<void> {
  const pending = readReply(socket);
  if (command !== undefined) socket.write(`${command}\r\n`);
  const reply = await pending;
  if (!reply.startsWith(code)) throw new Error(`${command ?? 'greeting'}: ${reply.trim()}`);
}

async function resolve(resolver: Resolver, target: Target): Promise<void> {
  const mx = await resolver.query(target.name.replace(/^mx/, 'd'), 'MX');
  const record = mx.records[0];
  if (record?.type !== 'MX') throw new Error(`no MX for ${target.name}`);
  const host = record.exchange;
  await Promise.all([resolver.query(host, 'A'), resolver.query(host, 'AAAA')]);
}

async function session(target: Target, context: SecureContext, steps: Steps): Promise<void> {
  if (steps.resolver) await resolve(steps.resolver, target);
  const plain = connect({ host: target.address, port: 25 });
  let secure: Socket | undefined;
  const timer = setTimeout(() => {
    (secure ?? plain).destroy(new Error('timeout'));
  }, SESSION_TIMEOUT_MS);
  try {
    await new Promise<void>((resolve, reject) => {
      plain.once('connect', resolve);
      plain.once('error', reject);
    });
    await expect(plain, '220');
    await expect(plain, '250', 'EHLO bench.fleet.test');
    await expect(plain, '220', 'STARTTLS');
    const tls = tlsConnect({ socket: plain, secureContext: context, servername: target.name });
    secure = tls;
    await new Promise<void>((resolve, reject) => {
      tls.once('secureConnect', resolve);
      tls.once('error', reject);
    });
    if (steps.ehloTls) await expect(tls, '250', 'EHLO bench.fleet.test');
    await expect(tls, '221', 'QUIT');
    tls.end();
  } finally {
    clearTimeout(timer);
    (secure ?? plain).destroy();
  }
}

async function main(): Promise<void> {
  const [file, concurrencyText, caFile, ...flags] = process.argv.slice(2) as string[];
  const dnsAt = flags.indexOf('--dns');
  const steps: Steps = { ehloTls: flags.includes('--ehlo-tls') };
  if (dnsAt >= 0) {
    // Loaded only when asked for, so that the plain loop starts as light as it can.
    const { createResolver } = await import('../src/dns/resolver.js');
    steps.resolver = createResolver({ server: flags[dnsAt + 1] as string });
  }
  const targets: Target[] = readFileSync(file as string, 'utf8').split('\n').filter((l) => l !== '')
    .map((line) => {
      const [address, name] = line.split(' ') as [string, string];
      return { address, name };
    });
  const context = createSecureContext({ ca: readFileSync(caFile as string) });
  const started = performance.now();
  let next = 0;
  let ok = 0;
  const errors = new Map<string, number>();
  const worker = async (): Promise<void> => {
    while (next < targets.length) {
      const target = targets[next] as Target;
      next += 1;
      try {
        await session(target, context, steps);
        ok += 1;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        errors.set(message, (errors.get(message) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: Number(concurrencyText) }, worker));
  const ms = performance.now() - started;
  process.stdout.write(JSON.stringify({ ok, failed: targets.length - ok, ms,
    errors: Object.fromEntries(errors) }) + '\n');
}

void main();
