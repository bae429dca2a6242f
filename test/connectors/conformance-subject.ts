/**
 * What a destination provides to the conformance kit (test/connectors/conformance.ts).
 * Each destination's test file builds one subject against its sandbox (or a real
 * server) and calls describeConformance(subject).
 */
import type { AnyDestination, SyncMode, WriteRow } from '../../connectors/sdk/types';

export type ConformanceRow = Pick<WriteRow, 'recordKey' | 'fields' | 'match'>;

export type FaultKind = 'rate_limited' | 'server_error' | 'drop_after_apply' | 'timeout';

export type ConformanceEnv = {
  credentials: unknown;
  config: unknown;
  options: unknown;
  /** The same connector with credentials the API rejects. */
  badCredentials: unknown;
  stop(): Promise<void>;
};

export type ConformanceSubject = {
  name: string;
  connector: AnyDestination;
  /** Object to write to, and the mode used for the upsert/mirror checks. */
  object: string;
  mode: SyncMode;
  /** Starts the sandbox / server, returns what a ConnectorContext needs. */
  start(): Promise<ConformanceEnv>;
  /** A valid row, distinct for every i (match values differ). */
  row(i: number): ConformanceRow;
  /** A row the destination rejects on its own (not the whole batch), and the field it blames. */
  invalidRow(i: number): { row: ConformanceRow; field: string };
  /** How many destination records carry this match value (>1 means duplicates). */
  countByMatch(value: string): Promise<number>;
  /** Rows carried by each write request the server received, in order. */
  writeRequestSizes(): Promise<number[]>;
  /** Timestamps (ms) of every API request the server received. */
  requestTimestamps(): Promise<number[]>;
  /** Makes the server fail the next write request in this way. */
  injectFault(kind: FaultKind): Promise<void>;
  /** Clears faults and data between checks. */
  reset(): Promise<void>;
  /** Largest number of rows one API request may carry (the documented limit). */
  apiMaxBatch: number;
  /**
   * Requests per second for the cross-process rate-limit check, in place of the
   * connector's declared rate, when that rate is too high to reach in a short
   * test (the check needs a few windows' worth of requests). Optional.
   */
  testRateLimit?: number;
};
