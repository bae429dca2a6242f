/** Formatting helpers of the runs screens (app/runs/_lib/format.ts, status.ts, filters.ts). */
import { describe, expect, it } from 'vitest';
import { parseRunFilters, runsHref } from '../../../app/runs/_lib/filters';
import {
  formatCount,
  formatDuration,
  formatEta,
  formatRate,
  payloadEntries,
  prettyExcerpt,
  runDurationMs,
  timeAgo,
} from '../../../app/runs/_lib/format';
import { isActive, RUN_STATUSES, STATUS_META, statusMeta, triggerLabel } from '../../../app/runs/_lib/status';

describe('formatDuration', () => {
  it.each([
    [0, '0 ms'],
    [420, '420 ms'],
    [1000, '1s'],
    [59_400, '59s'],
    [65_000, '1m 05s'],
    [3_599_000, '59m 59s'],
    [2 * 3600_000 + 3 * 60_000, '2h 03m'],
    [50 * 3600_000, '2d 2h'],
  ])('%i ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('shows a dash for missing or impossible durations', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(undefined)).toBe('—');
    expect(formatDuration(-5)).toBe('—');
    expect(formatDuration(Number.NaN)).toBe('—');
  });
});

describe('formatEta, formatRate, formatCount', () => {
  it('says when the ETA is not known yet, and when it is almost done', () => {
    expect(formatEta(null)).toBe('estimating…');
    expect(formatEta(0)).toBe('almost done');
    expect(formatEta(95)).toBe('about 1m 35s left');
  });
  it('formats throughput and counts with separators', () => {
    expect(formatRate(1234.6)).toBe('1,235 rows/s');
    expect(formatRate(null)).toBe('—');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(null)).toBe('—');
  });
});

describe('runDurationMs', () => {
  const t0 = new Date('2026-01-01T10:00:00Z');
  const at = (s: number) => new Date(t0.getTime() + s * 1000);
  it('measures start to finish for a finished run', () => {
    expect(runDurationMs({ createdAt: t0, startedAt: at(2), finishedAt: at(62) }, at(500).getTime())).toBe(60_000);
  });
  it('counts up to now while running, from creation while still queued', () => {
    expect(runDurationMs({ createdAt: t0, startedAt: at(10), finishedAt: null }, at(40).getTime())).toBe(30_000);
    expect(runDurationMs({ createdAt: t0, startedAt: null, finishedAt: null }, at(7).getTime())).toBe(7_000);
  });
  it('has no duration for a run that finished without starting (failed to pin)', () => {
    expect(runDurationMs({ createdAt: t0, startedAt: null, finishedAt: at(3) }, at(10).getTime())).toBeNull();
  });
});

describe('timeAgo', () => {
  const now = new Date('2026-03-10T12:00:00Z').getTime();
  it.each([
    [10_000, 'just now'],
    [5 * 60_000, '5 min ago'],
    [3 * 3600_000, '3 h ago'],
    [2 * 86_400_000, '2 d ago'],
  ])('%i ms ago → %s', (ago, text) => {
    expect(timeAgo(new Date(now - ago), now)).toBe(text);
  });
  it('says never for a missing date', () => {
    expect(timeAgo(null, now)).toBe('never');
  });
});

describe('prettyExcerpt', () => {
  it('pretty-prints a whole JSON excerpt', () => {
    expect(prettyExcerpt('{"email":"a@x.co","age":3}')).toEqual({ text: '{\n  "email": "a@x.co",\n  "age": 3\n}', truncated: false });
  });
  it('keeps a cut excerpt as it is and says it was cut', () => {
    const cut = `{"note":"${'x'.repeat(20)}…`;
    expect(prettyExcerpt(cut)).toEqual({ text: cut, truncated: true });
  });
  it('keeps non-JSON text, and returns null when there is nothing', () => {
    expect(prettyExcerpt('plain text')).toEqual({ text: 'plain text', truncated: false });
    expect(prettyExcerpt(null)).toBeNull();
    expect(prettyExcerpt('')).toBeNull();
  });
});

describe('payloadEntries', () => {
  it('lists fields with nested values as JSON and marks nulls', () => {
    expect(payloadEntries({ email: 'a@x.co', age: 3, tags: ['a'], gone: null })).toEqual([
      { key: 'email', value: 'a@x.co', isNull: false },
      { key: 'age', value: '3', isNull: false },
      { key: 'tags', value: '["a"]', isNull: false },
      { key: 'gone', value: 'null', isNull: true },
    ]);
  });
  it('has no entries for a missing or non-object payload', () => {
    expect(payloadEntries(null)).toEqual([]);
    expect(payloadEntries('text')).toEqual([]);
    expect(payloadEntries([1, 2])).toEqual([]);
  });
});

describe('statuses', () => {
  it('gives every status a label and a glyph, so it never rests on colour alone', () => {
    for (const s of RUN_STATUSES) {
      expect(STATUS_META[s].label.length).toBeGreaterThan(0);
      expect(STATUS_META[s].glyph.length).toBeGreaterThan(0);
    }
    expect(new Set(RUN_STATUSES.map((s) => STATUS_META[s].glyph)).size).toBe(RUN_STATUSES.length);
  });
  it('knows which statuses are active (the router polls only those)', () => {
    expect(RUN_STATUSES.filter(isActive)).toEqual(['queued', 'running', 'paused', 'needs_confirmation']);
  });
  it('renders an unknown status as its raw text', () => {
    expect(statusMeta('archived')).toMatchObject({ label: 'archived', tone: 'muted' });
    expect(triggerLabel('retry')).toBe('Retry of failed rows');
    expect(triggerLabel('webhook')).toBe('webhook');
  });
});

describe('run filters in the query string', () => {
  const params = (q: string) => new URLSearchParams(q);
  it('reads status and pipeline', () => {
    expect(parseRunFilters(params('status=failed&pipeline=p1'))).toEqual({ status: 'failed', pipelineId: 'p1' });
  });
  it('drops an unknown status instead of failing the page', () => {
    expect(parseRunFilters(params('status=exploded&pipeline=p1'))).toEqual({ status: undefined, pipelineId: 'p1' });
    expect(parseRunFilters(params(''))).toEqual({ status: undefined, pipelineId: undefined });
  });
  it('builds links that read back to the same filters', () => {
    expect(runsHref({})).toBe('/runs');
    const href = runsHref({ status: 'needs_confirmation', pipelineId: 'a b&c' });
    expect(href).toBe('/runs?status=needs_confirmation&pipeline=a+b%26c');
    expect(parseRunFilters(params(href.split('?')[1] ?? ''))).toEqual({ status: 'needs_confirmation', pipelineId: 'a b&c' });
  });
});
