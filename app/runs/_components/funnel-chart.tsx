'use client';
import { Bar, BarChart, CartesianGrid, Cell, LabelList, Tooltip, XAxis, YAxis } from 'recharts';
import { COUNT_COLORS } from '../_lib/colors';
import { funnelRows, type TTargetCounts } from '../_lib/counts';
import { formatCompact, formatCount } from '../_lib/format';

const STAGE_NAMES = { query: 'Query', diff: 'Diff', deliver: 'Deliver' } as const;

/**
 * queried → invalid/unchanged/added/changed/removed → accepted/rejected/exhausted/skipped
 * as horizontal bars, each labelled with its number. The chart is drawn for the
 * eye; the table next to it carries the same numbers for everyone else.
 */
export function FunnelChart({ counts, label }: { counts: TTargetCounts; label: string }) {
  const rows = funnelRows(counts).map((r) => ({ ...r, name: r.short }));
  return (
    <div className="funnel">
      <div className="funnel-chart" aria-hidden>
        <BarChart responsive data={rows} layout="vertical" margin={{ top: 4, right: 56, bottom: 4, left: 4 }} style={{ width: '100%', height: 250 }}>
          <CartesianGrid horizontal={false} strokeDasharray="3 3" />
          <XAxis type="number" allowDecimals={false} tickFormatter={(v: number) => formatCompact(v)} fontSize={11} />
          <YAxis type="category" dataKey="name" width={84} fontSize={12} interval={0} />
          <Tooltip formatter={(v) => formatCount(typeof v === 'number' ? v : Number(v))} cursor={{ fill: '#f1f3f7' }} />
          <Bar dataKey="value" name="Rows" isAnimationActive={false} minPointSize={2} radius={[0, 3, 3, 0]}>
            {rows.map((r) => (
              <Cell key={r.key} fill={COUNT_COLORS[r.key]} />
            ))}
            <LabelList dataKey="value" position="right" fontSize={11} formatter={(v) => (typeof v === 'number' ? formatCount(v) : v)} />
          </Bar>
        </BarChart>
      </div>
      <table className="table run-compact funnel-table" aria-label={`Row counts for ${label}`}>
        <tbody>
          {rows.map((r, i) => (
            <tr key={r.key} className={i > 0 && rows[i - 1]?.stage !== r.stage ? 'stage-start' : undefined}>
              <th scope="row">
                <span className="count-swatch" style={{ background: COUNT_COLORS[r.key] }} aria-hidden />
                {r.label}
              </th>
              <td className="muted small">{STAGE_NAMES[r.stage]}</td>
              <td className="num">{formatCount(r.value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
