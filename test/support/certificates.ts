/**
 * Throwaway PKI for TLS tests, made with the openssl command: CAs and certificates they sign, as
 * PEM files in a temporary folder.
 */
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from './scratch';

export class Certificates {
  readonly dir = scratchDir('certs');

  /** A self-signed CA: `<name>.pem` and `<name>.key`. */
  ca(name: string): string {
    this.openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=conduit test ${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
    );
    return this.path(`${name}.pem`);
  }

  /**
   * A certificate signed by `ca` for the given subjectAltName entries (`IP:127.0.0.1`, `DNS:localhost`): `<name>.crt`,
   * `<name>.key`.
   */
  issue(ca: string, name: string, altNames: string[] = []): { cert: string; key: string } {
    this.openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
    );
    // Always some extension, so the certificate is X.509 v3 (rustls, in Temporal's core, refuses v1).
    const extensions = [
      'basicConstraints = CA:FALSE',
      ...(altNames.length > 0 ? [`subjectAltName = ${altNames.join(', ')}`] : []),
      '',
    ].join('\n');
    writeFileSync(this.path(`${name}.ext`), extensions);
    this.openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.pem`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    );
    return { cert: this.path(`${name}.crt`), key: this.path(`${name}.key`) };
  }

  path(file: string): string {
    return join(this.dir, file);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private openssl(...args: string[]): void {
    execFileSync('openssl', args, { cwd: this.dir, stdio: 'ignore' });
  }
}
