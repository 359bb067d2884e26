/**
 * Typed access to the `otr` npm library (0.2.16, CommonJS, patched by
 * patches/otr+0.2.16.patch). Only the parts Padlock uses are typed; names follow the
 * library. Strings that carry binary data are "latin1 strings" (one char per byte), as in the
 * library.
 */
/* eslint-disable @typescript-eslint/no-require-imports */

/** A key of the library's DSA class (p, q, g, y and, for ours, x: its own bigint arrays). */
export interface DsaKey {
  packPrivate(): string;
  packPublic(): string;
  /** SHA-1 of the public key, 40 lowercase hex (OTR v3 "Fingerprints"). */
  fingerprint(): string;
  sign(m: string): [unknown, unknown];
}

export interface DsaStatic {
  parsePrivate(packed: string, libotr?: boolean): DsaKey;
  parsePublic(packed: string): DsaKey;
  verify(key: DsaKey, m: string, r: unknown, s: unknown): boolean;
  /** Without arguments generates a key synchronously (never do that: see keys.ts); with the fields of a parsed key, wraps them. */
  new (fields?: unknown): DsaKey;
}

export interface SmState {
  smpstate: number;
  abort(): void;
}

export interface OtrInstance {
  msgstate: number;
  authstate: number;
  ALLOW_V2: boolean;
  ALLOW_V3: boolean;
  REQUIRE_ENCRYPTION: boolean;
  SEND_WHITESPACE_TAG: boolean;
  WHITESPACE_START_AKE: boolean;
  ERROR_START_AKE: boolean;
  receivedPlaintext: boolean;
  our_instance_tag: string;
  their_instance_tag: string;
  their_priv_pk: DsaKey | null;
  fragment: { s: string; k: number; n?: number };
  ake: { otr_version?: string };
  sm: SmState | null;
  priv: DsaKey;
  on(event: string, fn: (...args: never[]) => void): void;
  off(event: string, fn: (...args: never[]) => void): void;
  trigger(event: string, args: unknown[]): void;
  io(msg: string | string[], meta?: unknown): void;
  receiveMsg(msg: string, meta?: unknown): void;
  sendQueryMsg(): void;
  /** Encrypts (OTR v3 "Data Message") and returns the wire form, or undefined after an 'error' event. */
  prepareMsg(msg: string): string | string[] | undefined;
  endOtr(cb?: () => void): void;
  smpSecret(secret: string, question?: string): void;
}

export interface OtrStatic {
  new (options: { priv: DsaKey; instance_tag: string; fragment_size?: number; send_interval?: number; debug?: boolean }): OtrInstance;
  makeInstanceTag(): string;
  CONST: {
    MSGSTATE_PLAINTEXT: 0;
    MSGSTATE_ENCRYPTED: 1;
    MSGSTATE_FINISHED: 2;
    AUTHSTATE_NONE: 0;
    AUTHSTATE_AWAITING_DHKEY: 1;
    STATUS_SEND_QUERY: 0;
    STATUS_AKE_INIT: 1;
    STATUS_AKE_SUCCESS: 2;
    STATUS_END_OTR: 3;
    WHITESPACE_TAG: string;
    WHITESPACE_TAG_V2: string;
    WHITESPACE_TAG_V3: string;
    OTR_VERSION_2: string;
    OTR_VERSION_3: string;
  };
}

const lib = require('otr') as { OTR: OtrStatic; DSA: DsaStatic };

export const OTR: OtrStatic = lib.OTR;
export const DSA: DsaStatic = lib.DSA;
export const CONST = lib.OTR.CONST;

/** The library's big-integer module (for the regression tests of the native powMod patch). */
export interface BigIntLib {
  str2bigInt(s: string, base: number, minSize?: number): number[];
  bigInt2str(x: number[], base: number): string;
  randBigInt(bits: number, s?: number): number[];
  powMod(x: number[], y: number[], n: number[]): number[];
  jsPowMod?(x: number[], y: number[], n: number[]): number[];
  nativePowMod?(x: number[], y: number[], n: number[]): number[] | null;
  equals(x: number[], y: number[]): boolean;
  dup(x: number[]): number[];
  isZero(x: number[]): boolean;
  rightShift_(x: number[], n: number): void;
  bigInt2bits(x: number[], pad?: number): string;
  ba2bigInt(bytes: ArrayLike<number>): number[];
}
export const BigIntLib = require('otr/vendor/bigint.js') as BigIntLib;
