/**
 * Turns low-level failures (pg, Prisma driver adapter, sockets) into one line
 * that names the cause and the fix. Used by setup, start, doctor and migrate.
 */

/** Redacts the password in a connection string for display. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable URL>';
  }
}

type ErrorLike = { code?: unknown; message?: unknown; cause?: unknown; kind?: unknown; errno?: unknown };

function flatten(err: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let cur: unknown = err;
  for (let i = 0; i < 6 && cur && typeof cur === 'object'; i++) {
    out.push(cur as ErrorLike);
    const next = (cur as ErrorLike).cause;
    cur = next;
  }
  // AggregateError (node's happy-eyeballs connect) hides the real errors in .errors
  const agg = err as { errors?: unknown[] };
  if (Array.isArray(agg.errors)) for (const e of agg.errors) out.push(...flatten(e));
  return out;
}

export function describeDbError(err: unknown, databaseUrl: string): string {
  const chain = flatten(err);
  const codes = chain.map((e) => String(e.code ?? e.kind ?? ''));
  const text = chain.map((e) => String(e.message ?? '')).join(' | ');
  let where = 'PostgreSQL';
  let dbName = '';
  try {
    const u = new URL(databaseUrl);
    where = `PostgreSQL at ${u.hostname}:${u.port || 5432}`;
    dbName = decodeURIComponent(u.pathname.slice(1));
  } catch {
    /* keep generic */
  }
  const has = (c: string) => codes.includes(c) || text.includes(c);
  if (has('ECONNREFUSED') || has('DatabaseNotReachable') || /Can't reach database server/.test(text))
    return `cannot reach ${where} (connection refused) — fix: start the server, or correct DATABASE_URL (unset it to use the embedded PostgreSQL)`;
  if (has('ENOTFOUND') || has('EAI_AGAIN'))
    return `cannot resolve the host of ${where} — fix: correct the host name in DATABASE_URL`;
  if (has('ETIMEDOUT') || has('SocketTimeout'))
    return `timed out connecting to ${where} — fix: check the host, port and firewall in DATABASE_URL`;
  if (has('28P01') || has('28000') || has('AuthenticationFailed') || /password authentication failed/i.test(text))
    return `${where} rejected the credentials in DATABASE_URL — fix: correct the user and password`;
  if (has('3D000') || has('DatabaseDoesNotExist') || /database .* does not exist/i.test(text))
    return `database "${dbName}" does not exist on ${where} — fix: create it (createdb ${dbName}) or correct DATABASE_URL`;
  const first = chain.find((e) => typeof e.message === 'string' && e.message.length > 0);
  return `${where}: ${String(first?.message ?? err)}`.split('\n')[0]!;
}

/** Message of any thrown value, first line only. */
export function oneLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0]!;
}
