import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import type { TemporalSettings } from './config/pipeline';

/** What both Temporal connections (the client's and the worker's native one) take to reach the server. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
}

/** Reads the TLS files named in the settings now, so a rotated certificate is used by the next connection. */
export function temporalConnectionOptions(settings: TemporalSettings): TemporalConnectionOptions {
  const { tls, apiKey } = settings;
  if (!tls) return { address: settings.address };
  const read = (file: string, what: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new Error(`cannot read the Temporal TLS ${what} ${file}: ${(error as Error).message}`);
    }
  };
  return {
    address: settings.address,
    tls: {
      ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
      ...(tls.caFile ? { serverRootCACertificate: read(tls.caFile, 'CA file') } : {}),
      ...(tls.certFile && tls.keyFile
        ? { clientCertPair: { crt: read(tls.certFile, 'certificate'), key: read(tls.keyFile, 'key') } }
        : {}),
    },
    ...(apiKey ? { apiKey } : {}),
  };
}
