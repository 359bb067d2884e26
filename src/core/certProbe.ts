/**
 * Reads the certificate a server presents, without trusting it, so that the user can see its
 * SHA-256 fingerprint after verification failed and decide to pin exactly that certificate
 * for that one account (never a global "accept all").
 *
 * It speaks just enough XMPP to reach the TLS handshake (RFC 6120 §5.4.2: stream header,
 * <starttls/>, <proceed/>), or opens direct TLS for xmpps (XEP-0368), takes the certificate
 * and closes. Nothing is sent over the unverified TLS channel: no stream, no credentials.
 */
import net from 'node:net';
import tls from 'node:tls';

export interface ProbeTarget {
  host: string;
  port: number;
  domain: string;
  directTls?: boolean;
}

export interface ProbedCertificate {
  fingerprint256: string;
  subject: string;
  issuer: string;
  validTo: string;
  /** PEM of the leaf, for pinning as this account's trust anchor. */
  pem: string;
}

function toPem(raw: Buffer): string {
  const b64 = raw.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

export function probeCertificate(target: ProbeTarget, timeoutMs = 10_000): Promise<ProbedCertificate> {
  return new Promise((resolve, reject) => {
    let done = false;
    const sockets: net.Socket[] = [];
    const finish = (err: Error | undefined, cert?: ProbedCertificate) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // Destroy only the outermost socket: a TLSSocket owns the TCP socket it wraps, and
      // destroying that one underneath it as well crashes Node 20 (SIGSEGV, seen here).
      sockets[sockets.length - 1]?.destroy();
      if (err) reject(err);
      else resolve(cert!);
    };
    const timer = setTimeout(() => finish(new Error('certificate probe timed out')), timeoutMs);

    const handshake = (socket?: net.Socket) => {
      // rejectUnauthorized:false on this one throwaway socket only: we read the certificate
      // and destroy the socket before anything is written to it.
      const t = tls.connect({
        ...(socket ? { socket } : { host: target.host, port: target.port }),
        servername: target.domain,
        rejectUnauthorized: false,
      });
      sockets.push(t);
      t.once('secureConnect', () => {
        const c = t.getPeerCertificate(false);
        if (!c || !c.raw) return finish(new Error('server presented no certificate'));
        finish(undefined, {
          fingerprint256: c.fingerprint256,
          subject: Object.entries(c.subject ?? {}).map(([k, v]) => `${k}=${v}`).join(', '),
          issuer: Object.entries(c.issuer ?? {}).map(([k, v]) => `${k}=${v}`).join(', '),
          validTo: c.valid_to,
          pem: toPem(c.raw),
        });
      });
      t.once('error', (e) => finish(e));
    };

    if (target.directTls) return handshake();

    const s = net.connect({ host: target.host, port: target.port });
    sockets.push(s);
    let buf = '';
    let stage: 'features' | 'proceed' = 'features';
    s.once('connect', () => {
      s.write(
        `<?xml version='1.0'?><stream:stream to='${target.domain.replace(/[<>&'"]/g, '')}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`,
      );
    });
    s.on('data', (d) => {
      buf += d.toString('utf8');
      if (buf.length > 65536) return finish(new Error('unexpected server reply'));
      if (stage === 'features' && /<\/stream:features>|<stream:features[^>]*\/>/.test(buf)) {
        if (!/urn:ietf:params:xml:ns:xmpp-tls/.test(buf)) return finish(new Error('server does not offer STARTTLS'));
        stage = 'proceed';
        buf = '';
        s.write(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
      } else if (stage === 'proceed' && /<proceed\b/.test(buf)) {
        s.removeAllListeners('data');
        handshake(s);
      } else if (/<failure\b|<stream:error\b/.test(buf)) {
        finish(new Error('server refused STARTTLS'));
      }
    });
    s.once('error', (e) => finish(e));
  });
}
