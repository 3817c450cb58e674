/**
 * Compare: joins the trace of a message with probes of its receivers into a conclusion per
 * hop about which side did not use TLS. `compareMessage` is the entry point; the inference
 * rules (`inferHop`) and the probe sources are exported for callers and tests.
 */
export { compareMessage, type CompareOptions } from './compare-message.js';
export { inferHop } from './infer-hop.js';
export { assignRoles, receiverCandidates, organisationOf } from './hop-roles.js';
export type { RoledHop, ReceiverCandidate } from './hop-roles.js';
export { summariseReceiver, hostStanding, noProbe } from './receiver-evidence.js';
export type { ProbedExchanges } from './receiver-evidence.js';
export { liveProbeSource, savedProbeSource, type ProbeSource } from './probe-source.js';
export { readSavedResults, type SavedResults, type SavedExchange } from './saved-results.js';
export * from './types.js';
