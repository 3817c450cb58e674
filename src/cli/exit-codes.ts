/**
 * The exit codes of every mxtls command, set here and only here. The README and `--help`
 * document the same table.
 */
export const EXIT = {
  /** Everything checked is as it should be (every MX offers verified TLS; nothing got worse). */
  ok: 0,
  /** The check found a problem (an MX without verified TLS, an unencrypted hop, a regression). */
  findings: 1,
  /** Bad usage or input: nothing was checked. */
  usage: 2,
  /** mxtls itself failed (a bug, or the machine ran out of something). */
  internal: 3,
  /** Interrupted (Ctrl-C); partial results were kept. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
