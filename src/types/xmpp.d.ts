// Minimal declarations for the parts of @xmpp/client 0.14 (ESM, untyped) that Padlock uses.
// Written from the library's source (node_modules/@xmpp/*), kept narrow on purpose.

declare module '@xmpp/xml' {
  export type Node = Element | string;
  export class Element {
    constructor(name: string, attrs?: Record<string, unknown>);
    name: string;
    attrs: Record<string, unknown>;
    children: Node[];
    parent?: Element;
    is(name: string, xmlns?: string): boolean;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    getChildElements(): Element[];
    text(): string;
    append(...nodes: Node[]): Element;
    toString(): string;
  }
  export default function xml(name: string, attrs?: Record<string, unknown> | null, ...children: (Node | Node[] | undefined)[]): Element;
}

declare module '@xmpp/client' {
  import type { Element, Node } from '@xmpp/xml';
  import type { EventEmitter } from 'node:events';
  import type { ConnectionOptions } from 'node:tls';

  export function xml(name: string, attrs?: Record<string, unknown> | null, ...children: (Node | Node[] | undefined)[]): Element;
  export function jid(...args: string[]): { toString(): string; local: string; domain: string; resource: string };

  export interface ClientOptions {
    service?: string;
    domain?: string;
    username?: string;
    password?: string;
    resource?: string;
    lang?: string;
    /** Padlock patch (patches/@xmpp+starttls, @xmpp+tls): options for tls.connect. */
    tls?: ConnectionOptions;
  }

  export interface StreamManagement extends EventEmitter {
    enabled: boolean;
    id: string;
    outbound_q: unknown[];
  }

  export interface Client extends EventEmitter {
    status: string;
    jid?: { toString(): string };
    socket?: unknown;
    options: ClientOptions & { domain: string };
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    connect(service: string): Promise<unknown>;
    open(options: { domain: string; lang?: string }): Promise<unknown>;
    disconnect(): Promise<unknown>;
    send(...el: Element[]): Promise<void>;
    sendMany(el: Element[]): Promise<void>;
    reconnect: EventEmitter & { stop(): void; start(): void; reconnect(): Promise<void>; delay: number };
    streamManagement: StreamManagement;
    iqCaller: { request(el: Element, timeout?: number): Promise<Element> };
    iqCallee: unknown;
  }

  export function client(options: ClientOptions): Client;
}
