/**
 * The benchmark's DNS server, run by bench/lab.ts as a child process:
 *   node dns-child.js HOSTS DOMAINS ADDRESS PORT
 * serves `dN.fleet.test MX 10 mx(N mod HOSTS).fleet.test` for N < DOMAINS and
 * `mxN.fleet.test A <fleet address N>`. It says 'ready' over IPC once it listens, and stops on
 * SIGTERM or when its parent goes away.
 */
import { startDnsServer, type Zone } from '../test/helpers/dns-server.js';
import { domainName, fleetAddress, mxName } from './lab.js';

async function main(): Promise<void> {
  const [hosts, domains] = [Number(process.argv[2]), Number(process.argv[3])];
  const address = process.argv[4] as string;
  const port = Number(process.argv[5]);
  const zone: Zone = {};
  for (let i = 0; i < hosts; i += 1) zone[mxName(i)] = { A: [fleetAddress(i)] };
  for (let i = 0; i < domains; i += 1) {
    zone[domainName(i)] = { MX: [{ preference: 10, exchange: mxName(i % hosts) }] };
  }
  const server = await startDnsServer({ zone, address, port });

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void server.close().finally(() => process.exit(0));
    // A close that hangs must not keep port 53 bound.
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
  process.send?.('ready');
}

main().catch((error: unknown) => {
  process.send?.(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
