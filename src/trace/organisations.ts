/**
 * Which organisation a host name belongs to: its registrable domain (public-suffix list via
 * tldts), with one extension: large providers that run their mail under several registrable
 * domains are listed here, so that a hop between two of their own names counts as internal.
 * Extend the table when a provider's internal hops show up as hand-offs.
 */
import { getDomain } from 'tldts';

/** Providers whose mail hosts span several registrable domains. */
export const PROVIDER_DOMAINS: Readonly<Record<string, readonly string[]>> = {
  Microsoft: ['outlook.com', 'office365.com', 'hotmail.com', 'live.com', 'msn.com'],
  Google: ['google.com', 'gmail.com', 'googlemail.com'],
  Yahoo: ['yahoo.com', 'yahoodns.net', 'aol.com'],
  Apple: ['me.com', 'icloud.com', 'mac.com'],
  Zoho: ['zoho.com', 'zohomail.com', 'zoho.eu'],
  Proofpoint: ['pphosted.com', 'ppops.net', 'ppe-hosted.com'],
  Fastmail: ['messagingengine.com', 'fastmail.com'],
};

const PROVIDER_OF: ReadonlyMap<string, string> = new Map(
  Object.entries(PROVIDER_DOMAINS).flatMap(([provider, domains]) =>
    domains.map((domain) => [domain, provider] as const),
  ),
);

/** The registrable domain of a host name; null for addresses, literals and dotless names. */
export function organisation(name: string | null): string | null {
  if (name === null || name.startsWith('[') || name.includes(':')) return null;
  return getDomain(name.replace(/\.$/, '').toLowerCase());
}

/** The name of the organisation for a registrable domain: a listed provider, else the domain. */
export function organisationName(domain: string): string {
  return PROVIDER_OF.get(domain) ?? domain;
}

/** Whether two registrable domains belong to one organisation. */
export function sameOrganisation(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return false;
  return a === b || (PROVIDER_OF.has(a) && PROVIDER_OF.get(a) === PROVIDER_OF.get(b));
}
