'use client';
/** Filter node: groups of conditions (all = AND, any = OR), operators by column type, typed values, relative dates, and expression conditions. */
import { useState } from 'react';
import type { FieldType } from '../../../../../connectors/sdk/types';
import type { TColumn } from '../../../../../workflows/graph/columns';
import type { TGraphNode } from '../../../../../workflows/graph/schema';
import { OPERATOR_LABELS, type TColumnCondition, type TCondition, type TConditionGroup, type TFilterConfig, type TFilterValue } from '../../../../../workflows/nodes/filter/schema';
import { readFilterConfig } from '../../../_lib/config-draft';
import { arityOf, formatValue, inputTypeFor, operatorsFor, parseList, parseValue, withOperator } from '../../../_lib/filter-ui';
import { messageAt } from '../../../_lib/issues';
import { useEditor } from '../editor-context';
import styles from '../editor.module.css';
import { ExpressionInput } from '../expression-input';

export function FilterForm({ node, input }: { node: TGraphNode; input: TColumn[] | null }) {
  const ctx = useEditor();
  const c = readFilterConfig(node.config);
  const set = (next: TFilterConfig, key: string) => ctx.setConfig(node.id, next, key);
  const setGroup = (gi: number, g: TConditionGroup, key: string) => set({ ...c, groups: c.groups.map((x, i) => (i === gi ? g : x)) }, key);
  const firstColumn = input?.[0];
  const newCondition = (): TColumnCondition => ({ column: firstColumn?.name ?? '', operator: operatorsFor(firstColumn?.type)[0] ?? 'eq' });
  return (
    <div className={styles.form}>
      <label className={styles.inline}>
        Keep rows that match
        <select value={c.match} onChange={(e) => set({ ...c, match: e.target.value === 'any' ? 'any' : 'all' }, 'match')} aria-label="Combine groups with">
          <option value="all">all groups (AND)</option>
          <option value="any">any group (OR)</option>
        </select>
      </label>
      {c.groups.map((g, gi) => (
        <div key={gi} className={styles.group2}>
          <div className={styles.groupHead}>
            <span className="small">Group {gi + 1}: rows where</span>
            <select value={g.match} onChange={(e) => setGroup(gi, { ...g, match: e.target.value === 'any' ? 'any' : 'all' }, `g${gi}-match`)} aria-label={`Group ${gi + 1} combines with`}>
              <option value="all">all of</option>
              <option value="any">any of</option>
            </select>
            <span className={styles.spacer} />
            <button type="button" className="btn small ghost" aria-label={`Remove group ${gi + 1}`} onClick={() => set({ ...c, groups: c.groups.filter((_, i) => i !== gi) }, 'groups')}>
              ✕
            </button>
          </div>
          {g.conditions.map((cond, ci) => (
            <ConditionRow
              key={ci}
              cond={cond}
              input={input}
              error={messageAt(ctx.issues, node.id, ['groups', gi, 'conditions', ci])}
              onChange={(next, key) => setGroup(gi, { ...g, conditions: g.conditions.map((x, i) => (i === ci ? next : x)) }, `g${gi}c${ci}-${key}`)}
              onRemove={() => setGroup(gi, { ...g, conditions: g.conditions.filter((_, i) => i !== ci) }, `g${gi}-conds`)}
            />
          ))}
          {g.conditions.length === 0 ? <p className="muted small">No conditions: every row passes this group.</p> : null}
          <div className={styles.row}>
            <button type="button" className="btn small" onClick={() => setGroup(gi, { ...g, conditions: [...g.conditions, newCondition()] }, `g${gi}-conds`)}>
              + Condition
            </button>
            <button type="button" className="btn small ghost" onClick={() => setGroup(gi, { ...g, conditions: [...g.conditions, { expression: '' }] }, `g${gi}-conds`)}>
              + Expression
            </button>
          </div>
        </div>
      ))}
      <button type="button" className="btn small" onClick={() => set({ ...c, groups: [...c.groups, { match: 'all', conditions: [newCondition()] }] }, 'groups')}>
        + Group
      </button>
      {messageAt(ctx.issues, node.id, ['groups']) ? <span className="field-error">{messageAt(ctx.issues, node.id, ['groups'])}</span> : null}
      {input === null ? <p className="muted small">The input’s columns are unknown yet: fix the nodes above (or introspect the query) to get column pickers.</p> : null}
    </div>
  );
}

function ConditionRow({
  cond,
  input,
  error,
  onChange,
  onRemove,
}: {
  cond: TCondition;
  input: TColumn[] | null;
  error: string | undefined;
  onChange(c: TCondition, key: string): void;
  onRemove(): void;
}) {
  if ('expression' in cond) {
    return (
      <div className={styles.condition}>
        <div className={styles.conditionMain}>
          <ExpressionInput label="Condition expression" value={cond.expression} columns={input} expect="boolean" placeholder="e.g. lifetime_value > 100 and country in ('US', 'CA')" onChange={(v) => onChange({ expression: v }, 'expr')} />
        </div>
        <button type="button" className="btn small ghost" aria-label="Remove condition" onClick={onRemove}>
          ✕
        </button>
      </div>
    );
  }
  const col = input?.find((x) => x.name === cond.column);
  const type = col?.type;
  const ops = operatorsFor(type);
  if (!ops.includes(cond.operator)) ops.unshift(cond.operator);
  return (
    <div className={styles.condition} data-error={error ? 'true' : undefined}>
      <div className={styles.conditionMain}>
        <div className={styles.conditionLine}>
          {input ? (
            <select
              aria-label="Column"
              value={cond.column}
              onChange={(e) => {
                const next = input.find((x) => x.name === e.target.value);
                const allowed = operatorsFor(next?.type);
                // A new column keeps the operator when it still fits, and drops values typed for the old column's type.
                const op = allowed.includes(cond.operator) ? cond.operator : allowed[0]!;
                onChange(next?.type === type ? { ...cond, column: e.target.value } : withOperator({ column: e.target.value, operator: op }, op), 'column');
              }}
            >
              <option value="">Column…</option>
              {!col && cond.column ? <option value={cond.column}>{cond.column} (not in the input)</option> : null}
              {input.map((x) => (
                <option key={x.name} value={x.name}>
                  {x.name} · {x.type}
                </option>
              ))}
            </select>
          ) : (
            <input aria-label="Column" value={cond.column} placeholder="column" onChange={(e) => onChange({ ...cond, column: e.target.value }, 'column')} />
          )}
          <select aria-label="Operator" value={cond.operator} onChange={(e) => onChange(withOperator(cond, ops.find((o) => o === e.target.value) ?? cond.operator), 'op')}>
            {ops.map((o) => (
              <option key={o} value={o}>
                {OPERATOR_LABELS[o]}
              </option>
            ))}
          </select>
        </div>
        <ValueEditor cond={cond} type={type} onChange={(next) => onChange(next, 'value')} />
        {error ? <span className="field-error">{error}</span> : null}
      </div>
      <button type="button" className="btn small ghost" aria-label="Remove condition" onClick={onRemove}>
        ✕
      </button>
    </div>
  );
}

function ValueEditor({ cond, type, onChange }: { cond: TColumnCondition; type: FieldType | undefined; onChange(c: TColumnCondition): void }) {
  const arity = arityOf(cond.operator);
  if (arity === 'none') return null;
  if (arity === 'days') {
    return (
      <label className={styles.inline}>
        in the last
        <input
          type="number"
          min={0}
          className={styles.small}
          value={cond.days ?? ''}
          aria-label="Number of days"
          onChange={(e) => {
            const { days: _d, ...rest } = cond;
            onChange(e.target.value === '' ? rest : { ...cond, days: Math.max(0, Math.round(Number(e.target.value))) });
          }}
        />
        days
      </label>
    );
  }
  if (arity === 'list') {
    return <ListInput cond={cond} type={type} onChange={onChange} />;
  }
  if (arity === 'two') {
    const [lo, hi] = [cond.values?.[0], cond.values?.[1]];
    const setAt = (i: 0 | 1, v: TFilterValue | undefined) => {
      const values: TFilterValue[] = [i === 0 ? (v ?? null) : (lo ?? null), i === 1 ? (v ?? null) : (hi ?? null)];
      onChange({ ...cond, values });
    };
    return (
      <div className={styles.conditionLine}>
        <SingleValue value={lo} type={type} label="From" onChange={(v) => setAt(0, v)} />
        <span className="muted small">and</span>
        <SingleValue value={hi} type={type} label="To" onChange={(v) => setAt(1, v)} />
      </div>
    );
  }
  return (
    <SingleValue
      value={cond.value}
      type={type}
      label="Value"
      onChange={(v) => {
        const { value: _v, ...rest } = cond;
        onChange(v === undefined ? rest : { ...cond, value: v });
      }}
    />
  );
}

/** One typed value. What is typed stays visible while it is not valid yet; the config gets it once it parses. */
function SingleValue({ value, type, label, onChange }: { value: TFilterValue | undefined; type: FieldType | undefined; label: string; onChange(v: TFilterValue | undefined): void }) {
  const [text, setText] = useState(formatValue(value));
  const [problem, setProblem] = useState<string | null>(null);
  if (type === 'boolean') {
    return (
      <select aria-label={label} value={value === true ? 'true' : value === false ? 'false' : ''} onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value === 'true')}>
        <option value="">choose…</option>
        <option value="true">true</option>
        <option value="false">false</option>
      </select>
    );
  }
  return (
    <span className={styles.valueWrap}>
      <input
        aria-label={label}
        type={inputTypeFor(type)}
        value={text}
        placeholder={type === 'timestamp' ? 'YYYY-MM-DD HH:MM:SS' : 'value'}
        className={problem ? styles.inputBad : undefined}
        onChange={(e) => {
          setText(e.target.value);
          if (e.target.value === '') {
            setProblem(null);
            onChange(undefined);
            return;
          }
          const r = parseValue(e.target.value, type);
          if ('error' in r) setProblem(r.error);
          else {
            setProblem(null);
            onChange(r.value);
          }
        }}
      />
      {problem ? <span className="field-error">{problem}</span> : null}
    </span>
  );
}

function ListInput({ cond, type, onChange }: { cond: TColumnCondition; type: FieldType | undefined; onChange(c: TColumnCondition): void }) {
  const [text, setText] = useState((cond.values ?? []).map(formatValue).join(', '));
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <span className={styles.valueWrap}>
      <input
        aria-label="Values, separated by commas"
        value={text}
        placeholder="US, GB, FR"
        className={problem ? styles.inputBad : undefined}
        onChange={(e) => {
          setText(e.target.value);
          const r = parseList(e.target.value, type);
          if ('error' in r) setProblem(r.error);
          else {
            setProblem(null);
            onChange({ ...cond, values: r.values });
          }
        }}
      />
      {problem ? <span className="field-error">{problem}</span> : <span className="muted small">separate values with commas</span>}
    </span>
  );
}
