/** Handles to the local services that `conduit dev`, the demo, the benchmark and the tests start. */

export interface RunningService {
  /** Stops the service and removes what it wrote unless it was asked to keep state. Safe to call twice. */
  stop(): Promise<void>;
}

export interface TemporalService extends RunningService {
  /** host:port of the frontend gRPC endpoint. */
  address: string;
  namespace: string;
  /** http://host:port of the Temporal UI. */
  uiUrl: string;
}

export interface PostgresService extends RunningService {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export interface SnowflakeEmulatorService extends RunningService {
  host: string;
  port: number;
  protocol: 'http';
  account: string;
  user: string;
  password: string;
  database: string;
  schema: string;
  warehouse: string;
}
