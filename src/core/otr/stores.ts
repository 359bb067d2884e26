/**
 * Storage the OTR layer needs, injected by the host: private keys in SecretStorage
 * (KeyStore), known fingerprints and the instance tag in globalState (not secret). The
 * in-memory implementations are for tests and for the bench.
 */

/** Private keys only ever go through this store (the host backs it with SecretStorage). */
export interface KeyStore {
  load(account: string): Promise<string | undefined>;
  save(account: string, packedPrivateKey: string): Promise<void>;
}

export interface KnownFingerprint {
  /** 40 lowercase hex (see fingerprint.ts for display). */
  fingerprint: string;
  verified: boolean;
}

/** Known fingerprints per account and contact (bare JID). Not secret. */
export interface TrustStore {
  load(account: string, contact: string): Promise<KnownFingerprint[]>;
  save(account: string, contact: string, fingerprints: KnownFingerprint[]): Promise<void>;
  /** Every contact with known fingerprints (for the "Known fingerprints" list). */
  all(account: string): Promise<Record<string, KnownFingerprint[]>>;
}

/** Our own OTR v3 instance tag per account, kept across restarts (OTR v3 "Instance Tags"). */
export interface TagStore {
  load(account: string): Promise<number | undefined>;
  save(account: string, tag: number): Promise<void>;
}

export class MemoryKeyStore implements KeyStore {
  readonly keys = new Map<string, string>();
  async load(account: string): Promise<string | undefined> {
    return this.keys.get(account);
  }
  async save(account: string, packed: string): Promise<void> {
    this.keys.set(account, packed);
  }
}

export class MemoryTrustStore implements TrustStore {
  private readonly data = new Map<string, Map<string, KnownFingerprint[]>>();
  async load(account: string, contact: string): Promise<KnownFingerprint[]> {
    return (this.data.get(account)?.get(contact) ?? []).map((f) => ({ ...f }));
  }
  async save(account: string, contact: string, fingerprints: KnownFingerprint[]): Promise<void> {
    let m = this.data.get(account);
    if (!m) this.data.set(account, (m = new Map()));
    m.set(contact, fingerprints.map((f) => ({ ...f })));
  }
  async all(account: string): Promise<Record<string, KnownFingerprint[]>> {
    return Object.fromEntries([...(this.data.get(account) ?? new Map<string, KnownFingerprint[]>())].map(([c, l]) => [c, l.map((f) => ({ ...f }))]));
  }
}

export class MemoryTagStore implements TagStore {
  readonly tags = new Map<string, number>();
  async load(account: string): Promise<number | undefined> {
    return this.tags.get(account);
  }
  async save(account: string, tag: number): Promise<void> {
    this.tags.set(account, tag);
  }
}
