'use client';
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from 'recharts';
import { COUNT_COLORS, STATUS_COLORS } from '../../runs/_lib/colors';
import { statusesPresent, type TDayBucket } from '../../runs/_lib/daily';
import { formatCompact, formatCount } from '../../runs/_lib/format';
import { STATUS_META } from '../../runs/_lib/status';

const tooltipNumber = (v: unknown) => formatCount(typeof v === 'number' ? v : Number(v));

/** Runs per day, stacked by status. The day table under it gives the same numbers in text. */
export function RunsByDayChart({ buckets }: { buckets: TDayBucket[] }) {
  const statuses = statusesPresent(buckets);
  return (
    <figure className="day-chart">
      <div aria-hidden>
        <BarChart responsive data={buckets} margin={{ top: 8, right: 8, bottom: 0, left: -16 }} style={{ width: '100%', height: 200 }}>
          <CartesianGrid vertical={false} strokeDasharray="3 3" />
          <XAxis dataKey="label" fontSize={11} tickLine={false} />
          <YAxis allowDecimals={false} fontSize={11} tickLine={false} axisLine={false} />
          <Tooltip formatter={tooltipNumber} cursor={{ fill: '#f1f3f7' }} />
          <Legend iconSize={10} wrapperStyle={{ fontSize: 12 }} />
          {statuses.map((s) => (
            <Bar key={s} dataKey={s} name={STATUS_META[s].label} stackId="runs" fill={STATUS_COLORS[s]} isAnimationActive={false} />
          ))}
        </BarChart>
      </div>
      <figcaption className="visually-hidden">
        Runs per day:{' '}
        {buckets
          .map((b) => `${b.label}: ${b.total} run${b.total === 1 ? '' : 's'}${statuses.filter((s) => b[s] > 0).map((s) => `, ${b[s]} ${STATUS_META[s].label.toLowerCase()}`).join('')}`)
          .join('; ')}
      </figcaption>
    </figure>
  );
}

/** Rows accepted by destinations per day, with failed rows stacked on top. */
export function RowsByDayChart({ buckets }: { buckets: TDayBucket[] }) {
  return (
    <figure className="day-chart">
      <div aria-hidden>
        <BarChart responsive data={buckets} margin={{ top: 8, right: 8, bottom: 0, left: -8 }} style={{ width: '100%', height: 200 }}>
          <CartesianGrid vertical={false} strokeDasharray="3 3" />
          <XAxis dataKey="label" fontSize={11} tickLine={false} />
          <YAxis allowDecimals={false} fontSize={11} tickLine={false} axisLine={false} tickFormatter={(v: number) => formatCompact(v)} />
          <Tooltip formatter={tooltipNumber} cursor={{ fill: '#f1f3f7' }} />
          <Legend iconSize={10} wrapperStyle={{ fontSize: 12 }} />
          <Bar dataKey="rowsSynced" name="Rows synced" stackId="rows" fill={COUNT_COLORS.accepted} isAnimationActive={false} />
          <Bar dataKey="rowsFailed" name="Rows failed" stackId="rows" fill={COUNT_COLORS.rejected} isAnimationActive={false} />
        </BarChart>
      </div>
      <figcaption className="visually-hidden">
        Rows per day: {buckets.map((b) => `${b.label}: ${formatCount(b.rowsSynced)} synced, ${formatCount(b.rowsFailed)} failed`).join('; ')}
      </figcaption>
    </figure>
  );
}
