/**
 * The connector contract, shared by the sync engine (workflows/engine) and every
 * connector (connectors/sources/*, connectors/destinations/*).
 *
 * Destinations: write(rows, ctx) returns ONE RowResult per input row. A row with
 * no result is "unknown": the engine treats it as retryable and possibly applied.
 * A whole-batch failure throws ConnectorError with `applied: 'no' | 'unknown'`.
 * After 'unknown', the engine calls lookup() by match key before any retry; it
 * splits a batch to isolate bad rows only after 'no'.
 *
 * Sources: stream rows of one read-only SELECT through a server-side cursor.
 *
 * Credentials (secrets, encrypted at rest) are kept apart from config (non-secret
 * connection settings such as baseUrl or region), as Grouparoo's App/Connection
 * and cal.com's appKeys/appData do.
 */
import type { z } from 'zod';

// ───────────────────────────── shared ─────────────────────────────

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };

export type ConnectorKind = 'source' | 'destination';

/** Column / field types understood across Backflow (schema propagation, map coercion, discover). */
export const FIELD_TYPES = ['string', 'integer', 'number', 'boolean', 'date', 'timestamp', 'json', 'string_array'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export type Logger = {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
};

/**
 * One token per HTTP request, shared by every worker and run writing to the same
 * destination account (kept in PostgreSQL by the engine).
 */
export interface RateLimiter {
  /** Waits until `tokens` (default 1) are available, then consumes them. */
  take(tokens?: number, signal?: AbortSignal): Promise<void>;
  /** The API said "slow down" (429 + Retry-After): pause the whole account's budget. */
  pause(ms: number): Promise<void>;
}

/** Context every connector call receives. */
export type ConnectorContext<Credentials, Config> = {
  connectionId: string;
  /** Display name of the connection, for error messages. */
  connectionName: string;
  credentials: Credentials;
  config: Config;
  limiter: RateLimiter;
  signal: AbortSignal;
  log: Logger;
  /**
   * Persists rotated credentials (OAuth refresh), encrypted, serialized across
   * workers: `fn` runs while holding the connection's refresh lock and receives
   * the freshest stored credentials.
   */
  updateCredentials(fn: (current: Credentials) => Promise<Credentials>): Promise<Credentials>;
};

// ───────────────────────────── errors ─────────────────────────────

export const CONNECTOR_ERROR_CODES = [
  'auth', // bad or expired credentials
  'permission', // authenticated, but not allowed
  'rate_limited', // 429
  'timeout', // no answer in time
  'network', // DNS, refused, reset
  'server', // 5xx
  'bad_request', // 4xx other than the above: request shape, validation
  'not_found', // object, field or record that does not exist (any more)
  'schema_changed', // destination schema no longer matches the mapping
  'config', // connection configuration problem
  'unsupported', // mode/operation not supported
] as const;
export type ConnectorErrorCode = (typeof CONNECTOR_ERROR_CODES)[number];

export type Applied = 'no' | 'unknown';

export class ConnectorError extends Error {
  readonly code: ConnectorErrorCode;
  readonly retryable: boolean;
  /** Whether the request may have taken effect. Only 'no' lets the engine split a batch. */
  readonly applied: Applied;
  readonly retryAfterMs?: number;
  /** The record the error is about (Grouparoo's ErrorWithRecordId). */
  readonly recordId?: string;
  /** The destination field the error is about. */
  readonly field?: string;
  readonly status?: number;

  constructor(
    message: string,
    opts: {
      code: ConnectorErrorCode;
      retryable: boolean;
      applied: Applied;
      retryAfterMs?: number;
      recordId?: string;
      field?: string;
      status?: number;
      cause?: unknown;
    },
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ConnectorError';
    this.code = opts.code;
    this.retryable = opts.retryable;
    this.applied = opts.applied;
    if (opts.retryAfterMs !== undefined) this.retryAfterMs = opts.retryAfterMs;
    if (opts.recordId !== undefined) this.recordId = opts.recordId;
    if (opts.field !== undefined) this.field = opts.field;
    if (opts.status !== undefined) this.status = opts.status;
  }
}

export function isConnectorError(err: unknown): err is ConnectorError {
  return err instanceof ConnectorError || (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'ConnectorError');
}

// ───────────────────────────── test / discover ─────────────────────────────

export type TestResult = { ok: true; message?: string } | { ok: false; message: string; code?: ConnectorErrorCode };

export type FieldDescriptor = {
  name: string;
  label?: string;
  type: FieldType;
  required?: boolean;
  /** Values are unique across records; such a field can serve as a match key. */
  unique?: boolean;
  /** Fields the API fills in itself and refuses on write. */
  readOnly?: boolean;
  description?: string;
};

export type ObjectDescriptor = {
  name: string;
  label?: string;
  description?: string;
  fields: FieldDescriptor[];
  /** Modes this object supports; defaults to the connector's capabilities.modes. */
  modes?: SyncMode[];
  /**
   * True when the object can be upserted idempotently by a unique field. False
   * means creates are not idempotent: the engine guards them with delivery
   * intents and lookup().
   */
  upsert?: boolean;
};

export type DiscoverResult = { objects: ObjectDescriptor[] };

/** Sources: schemas → tables → columns. */
export type ColumnDescriptor = { name: string; type: FieldType; nativeType: string; nullable?: boolean };
export type TableDescriptor = { schema: string; name: string; kind: 'table' | 'view'; columns: ColumnDescriptor[] };
export type SourceCatalog = { tables: TableDescriptor[] };

// ───────────────────────────── destinations ─────────────────────────────

/**
 * upsert:     add and update records, by match key
 * update:     only update records that already exist
 * insert:     only add records never synced before
 * mirror:     add, update, and delete records whose source rows disappeared
 * add_remove: membership of a list or audience: add members, remove leavers
 */
export const SYNC_MODES = ['upsert', 'update', 'insert', 'mirror', 'add_remove'] as const;
export type SyncMode = (typeof SYNC_MODES)[number];

/**
 * What the engine asks a destination to do with one row.
 * `create` is used only for objects without idempotent upsert (see ObjectDescriptor.upsert).
 */
export const OPERATIONS = ['upsert', 'create', 'update', 'delete', 'add', 'remove'] as const;
export type Operation = (typeof OPERATIONS)[number];

export type WriteRow = {
  /** Stable identity of the source row (its primary key), unique within a sync. */
  recordKey: string;
  op: Operation;
  /** Mapped destination fields, already coerced to the destination types. Omitted fields are absent. */
  fields: Record<string, JsonValue>;
  /** The destination field used to find the record, and this row's value for it. */
  match: { field: string; value: string };
  /** The record's id in the destination, when a previous sync learned it. */
  externalId?: string;
  /** hash(destination, recordKey, contentHash, op): identical on every replay. */
  idempotencyKey: string;
  /** Fields marked "only set if empty" in the map (for connectors that support it). */
  setOnlyIfEmpty?: string[];
};

export type RowStatus = 'accepted' | 'rejected' | 'retryable';

export type RowResult = {
  recordKey: string;
  status: RowStatus;
  externalId?: string;
  /** The destination field a rejection is about. */
  field?: string;
  message?: string;
  retryAfterMs?: number;
};

export type WriteContext<Credentials, Config, Options> = ConnectorContext<Credentials, Config> & {
  object: string;
  mode: SyncMode;
  /** Per-sync options from the destination node (templates, list ids…). */
  options: Options;
};

export type LookupRequest = { recordKey: string; match: { field: string; value: string } };
/** externalId null means the record does not exist. One entry per request. */
export type LookupResult = { recordKey: string; externalId: string | null };

export type DestinationCapabilities = {
  /**
   * records: CRM-like objects that can be looked up (needs lookup()).
   * members: list/audience membership; add and remove are idempotent.
   * events:  side effects (messages, webhooks) that cannot be read back.
   */
  writes: 'records' | 'members' | 'events';
  modes: SyncMode[];
  /** Rows per write() call. The engine never sends more. */
  batchSize: number;
  /**
   * Requests per second per account. The shared limiter (workflows/engine/limiter.ts)
   * counts fixed one-second windows, so declare headroom under a rolling limit.
   * `burst` documents what the API tolerates; the limiter does not exceed the rate.
   */
  rateLimit: { requestsPerSecond: number; burst?: number };
  /** Supports delete (mirror) or remove (add_remove). */
  deletes: boolean;
  /** The API accepts an idempotency key, so replays are deduplicated remotely. */
  idempotencyKey: boolean;
  /** lookup() reads are strongly consistent (safe to decide "create or not"). */
  consistentLookup: boolean;
  /** Supports "only set if empty" per field. */
  setOnlyIfEmpty: boolean;
};

// ───────────────────────────── sources ─────────────────────────────

export type SourceDialect = 'duckdb' | 'postgres' | 'mysql' | 'snowflake' | 'bigquery';

export type SourceRow = Record<string, unknown>;

export type QueryOptions = {
  /** Rows per yielded batch (cursor fetch size). */
  batchSize?: number;
  /** Statement timeout; the source cancels the query after it. */
  timeoutMs?: number;
  signal?: AbortSignal;
};

export type SourceCapabilities = {
  dialect: SourceDialect;
  /** The warehouse can compute Backflow's content hash in SQL (see workflows/engine/hash.ts). */
  sqlHash: boolean;
};

// ───────────────────────────── definition ─────────────────────────────

type Base<K extends ConnectorKind, Credentials, Config> = {
  slug: string;
  kind: K;
  displayName: string;
  /** An emoji or a short glyph for the UI. */
  icon: string;
  description?: string;
  /** Marks connectors that exist for tests and benchmarks only. */
  testOnly?: boolean;
  credentialsSchema: z.ZodType<Credentials>;
  configSchema: z.ZodType<Config>;
  test(ctx: ConnectorContext<Credentials, Config>): Promise<TestResult>;
};

export type SourceConnector<Credentials = unknown, Config = unknown> = Base<'source', Credentials, Config> & {
  capabilities: SourceCapabilities;
  discover(ctx: ConnectorContext<Credentials, Config>): Promise<SourceCatalog>;
  /** Output columns of a SELECT without running it in full (zero-row or DESCRIBE). */
  describe(sql: string, ctx: ConnectorContext<Credentials, Config>): Promise<ColumnDescriptor[]>;
  /** Streams a single read-only SELECT in batches through a server-side cursor. */
  read(sql: string, ctx: ConnectorContext<Credentials, Config>, opts?: QueryOptions): AsyncIterable<SourceRow[]>;
  /**
   * Optional fast path for a SELECT of ONE text column (the sync engine's key
   * and payload queries): the values, in batches, without building row
   * objects. The engine falls back to read() where a source lacks it.
   */
  readText?(sql: string, ctx: ConnectorContext<Credentials, Config>, opts?: QueryOptions): AsyncIterable<(string | null)[]>;
};

export type DestinationConnector<Credentials = unknown, Config = unknown, Options = unknown> = Base<'destination', Credentials, Config> & {
  capabilities: DestinationCapabilities;
  /** Per-sync options shown on the destination node. */
  optionsSchema: z.ZodType<Options>;
  discover(ctx: ConnectorContext<Credentials, Config>): Promise<DiscoverResult>;
  write(rows: WriteRow[], ctx: WriteContext<Credentials, Config, Options>): Promise<RowResult[]>;
  /** Required for every destination that can create records; must be a consistent read. */
  lookup?(requests: LookupRequest[], ctx: WriteContext<Credentials, Config, Options>): Promise<LookupResult[]>;
};

/** Any registered connector; members are methods, so specific connectors widen to these. */
export type AnySource = SourceConnector<unknown, unknown>;
export type AnyDestination = DestinationConnector<unknown, unknown, unknown>;
export type AnyConnector = AnySource | AnyDestination;
