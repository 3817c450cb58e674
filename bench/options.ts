/**
 * The benchmark's options, from flags (`--hosts 500`) or the environment (`MXTLS_BENCH_HOSTS`).
 * Flags win over the environment; every default is stated in `USAGE`.
 */

export interface BenchOptions {
  /** TLS SMTP listeners of the fleet, one domain each in the throughput runs. */
  hosts: number;
  /** Sessions at the same time, the same for mxtls, posttls-finger and the bare loop. */
  concurrency: number;
  /** Domains of the memory run (they share the fleet's hosts); 0 skips the run. */
  domainsMemory: number;
  /** Times each throughput run is repeated; the best round of each tool is compared. */
  rounds: number;
  /** Profile an extra mxtls run with `node --cpu-prof`: 'auto' only when a target is missed. */
  profile: 'auto' | 'always' | 'never';
  /** Keep the temporary directory (lists, outputs, profiles) for inspection. */
  keep: boolean;
  /** Run the library driver even when the CLI has a bulk `scan --file`. */
  forceDriver: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]

  --hosts N            TLS listeners on 127.20.x.y:25, one domain each (default 500)
  --concurrency N      sessions at once, for every tool (default 32)
  --domains-memory N   domains of the memory run, sharing the hosts; 0 skips it (default 100000)
  --rounds N           repetitions of each throughput run; the best is compared (default 3)
  --profile MODE       auto | always | never: CPU profile of an extra mxtls run (default auto)
  --quick              a small run: 50 hosts, concurrency 16, 5000 domains, 1 round
  --keep               keep the temporary directory (default: removed)
  --driver             scan with the library driver even when the CLI can (default: CLI)

Every flag also reads from the environment: MXTLS_BENCH_HOSTS, MXTLS_BENCH_CONCURRENCY,
MXTLS_BENCH_DOMAINS_MEMORY, MXTLS_BENCH_ROUNDS, MXTLS_BENCH_PROFILE, MXTLS_BENCH_QUICK=1, ...`;

const LIMITS = { hosts: [1, 60_000], concurrency: [1, 1024], domainsMemory: [0, 2_000_000] };

/** Parses `argv` (without node and the script) and `env`; throws an Error on a bad value. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions | 'help' {
  const raw = new Map<string, string>();
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith('MXTLS_BENCH_') && value !== undefined) {
      raw.set(key.slice('MXTLS_BENCH_'.length).toLowerCase().replace(/_/g, '-'), value);
    }
  }
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') return 'help';
    if (!arg.startsWith('--')) throw new Error(`Cannot parse "${arg}": options start with --`);
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (['quick', 'keep', 'driver'].includes(name)) {
      raw.set(name, inline ?? '1');
      continue;
    }
    const value = inline ?? argv[i + 1];
    if (value === undefined) throw new Error(`Cannot parse "--${name}": it needs a value`);
    if (inline === undefined) i += 1;
    raw.set(name, value);
  }

  const quick = flag(raw.get('quick'));
  const options: BenchOptions = {
    hosts: quick ? 50 : 500,
    concurrency: quick ? 16 : 32,
    domainsMemory: quick ? 5000 : 100_000,
    rounds: quick ? 1 : 3,
    profile: 'auto',
    keep: flag(raw.get('keep')),
    forceDriver: flag(raw.get('driver')),
  };
  for (const [name, value] of raw) {
    switch (name) {
      case 'quick': case 'keep': case 'driver':
        break;
      case 'hosts':
        options.hosts = integer(name, value, LIMITS.hosts);
        break;
      case 'concurrency':
        options.concurrency = integer(name, value, LIMITS.concurrency);
        break;
      case 'domains-memory':
        options.domainsMemory = integer(name, value, LIMITS.domainsMemory);
        break;
      case 'rounds':
        options.rounds = integer(name, value, [1, 10]);
        break;
      case 'profile':
        if (value !== 'auto' && value !== 'always' && value !== 'never') {
          throw new Error(`Cannot use --profile "${value}": say auto, always or never`);
        }
        options.profile = value;
        break;
      default:
        throw new Error(`Cannot use option "${name}": unknown (see --help)`);
    }
  }
  return options;
}

function flag(value: string | undefined): boolean {
  return value !== undefined && value !== '0' && value !== 'false' && value !== '';
}

function integer(name: string, value: string, [min, max]: number[]): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < (min as number) || n > (max as number)) {
    throw new Error(`Cannot use --${name} "${value}": an integer from ${min} to ${max} is needed`);
  }
  return n;
}
