/**
 * TEST INFRASTRUCTURE: a slow webhook receiver for looking at the Runs UI (and
 * for a future browser test). It answers the webhook destination's batch
 * requests with per-row results (see connectors/destinations/webhook/README.md):
 *   - every request waits `delayMs`, so a run stays active long enough to watch;
 *   - rows whose `email` contains "13" are rejected (field `email`);
 *   - rows whose record key is a multiple of 250 always answer "retry", so they
 *     end as "retries exhausted".
 *
 *   tsx test/e2e/runs-receiver.ts <port> [delayMs]
 */
import { createServer, type Server } from 'node:http';
import { z } from 'zod';

const ZBatch = z.object({
  rows: z.array(z.object({ idempotencyKey: z.string(), recordKey: z.string(), op: z.string(), data: z.record(z.string(), z.unknown()).nullable().optional() })),
});

export function startReceiver(port: number, delayMs: number): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return reply(400, { message: 'the body is not JSON — fix: send the webhook destination batch format' });
      }
      const batch = ZBatch.safeParse(parsed);
      // The connection test and anything else that is not a batch: accept.
      if (!batch.success) return reply(200, { ok: true });
      const results = batch.data.rows.map((r) => {
        const email = typeof r.data?.email === 'string' ? r.data.email : '';
        if (Number(r.recordKey) % 250 === 0) return { idempotencyKey: r.idempotencyKey, status: 'retry', message: 'receiver busy (test receiver)' };
        if (email.includes('13')) {
          return { idempotencyKey: r.idempotencyKey, status: 'rejected', field: 'email', message: `email ${email} is on the receiver's block list` };
        }
        return { idempotencyKey: r.idempotencyKey, status: 'accepted', id: `evt_${r.recordKey}` };
      });
      setTimeout(() => reply(200, { results }), delayMs);
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  const port = Number(process.argv[2] ?? 7398);
  const delayMs = Number(process.argv[3] ?? 1500);
  void startReceiver(port, delayMs).then(() => console.log(`test receiver on http://127.0.0.1:${port} (delay ${delayMs} ms)`));
}
