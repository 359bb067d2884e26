/** OTR for Padlock Chat: see layer.ts. */
export { OtrLayer, otrHints, parseFragmentHeader, stripWhitespaceTags } from './layer';
export type { OtrAccount, OtrEvents, OtrLayerOptions, SmpEvent, SmpKind } from './layer';
export { decideOutgoing, isPrivate, libraryFlags, OTR_POLICIES } from './policy';
export type { OtrPolicy, OtrState, OutgoingDecision } from './policy';
export { formatFingerprint, normalizeFingerprint } from './fingerprint';
export { generatePackedKey, parsePackedKey } from './keys';
export { MemoryKeyStore, MemoryTagStore, MemoryTrustStore } from './stores';
export type { KeyStore, KnownFingerprint, TagStore, TrustStore } from './stores';
