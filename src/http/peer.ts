// What a connection says about the client beyond its peer address: the address a PROXY protocol header
// named (--proxy-protocol) and the client certificate of mutual TLS (--tls-ca). Only the portable engines
// can tell both (the native uWS 20.30 has getProxiedRemoteAddressAsText for PROXY v2 but no certificate
// getter): routes ask through these functions, which answer '' / null where the engine cannot.
import type { Socket } from 'node:net';
import type { TLSSocket, PeerCertificate as NodePeerCertificate } from 'node:tls';
import type { PeerCertificate } from '../observe/journal.js';

/** A socket the PROXY reader saw a header on (http/portable/engine.ts sets it before HTTP starts). */
export interface ProxiedSocket extends Socket {
  mockProxied?: string;
}

/** The address the connection's PROXY header named; '' without one. */
export function proxiedOf(socket: Socket | null | undefined): string {
  return (socket as ProxiedSocket | null | undefined)?.mockProxied ?? '';
}

/** The TLS client certificate of a socket as the journal shows it; null when there is none (or no TLS). */
export function peerCertificateOf(socket: Socket | null | undefined): PeerCertificate | null {
  const tls = socket as Partial<TLSSocket> | null | undefined;
  if (tls == null || typeof tls.getPeerCertificate !== 'function') return null;
  const c = tls.getPeerCertificate(false) as NodePeerCertificate | null;
  if (c === null || c === undefined || Object.keys(c).length === 0) return null;
  return {
    subject: distinguished(c.subject),
    issuer: distinguished(c.issuer),
    san: c.subjectaltname === undefined ? [] : c.subjectaltname.split(', '),
    fingerprint256: c.fingerprint256,
    serialNumber: c.serialNumber,
    validTo: c.valid_to,
    authorized: tls.authorized === true,
  };
}

// Node's {CN: 'x', O: ['a', 'b']} as "CN=x,O=a,O=b".
function distinguished(dn: object | undefined): string {
  if (dn === undefined) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(dn)) for (const x of Array.isArray(v) ? v : [v]) parts.push(`${k}=${String(x)}`);
  return parts.join(',');
}

/** The proxied address a response's connection carries ('' without one), through the engine's own getter. */
export function proxiedAddressOf(res: { getProxiedRemoteAddressAsText(): ArrayBuffer }): string {
  return Buffer.from(res.getProxiedRemoteAddressAsText()).toString('latin1');
}

/** The client certificate behind a response, where the engine can read it (the portable ones); null elsewhere. */
export function clientCertificateOf(res: object): PeerCertificate | null {
  const r = res as { getPeerCertificate?: () => PeerCertificate | null };
  return typeof r.getPeerCertificate === 'function' ? r.getPeerCertificate() : null;
}
