'use client';
/** Transform node: derived columns, each a typed expression checked live against the columns it can see. */
import type { TColumn } from '../../../../../workflows/graph/columns';
import { CAST_TARGETS } from '../../../../../workflows/compile/expr/ast';
import type { TGraphNode } from '../../../../../workflows/graph/schema';
import type { TDerivedColumn, TTransformConfig } from '../../../../../workflows/nodes/transform/schema';
import { readTransformConfig } from '../../../_lib/config-draft';
import { FUNCTION_NAMES, transformScope } from '../../../_lib/expression';
import { messageAt } from '../../../_lib/issues';
import { useEditor } from '../editor-context';
import styles from '../editor.module.css';
import { ExpressionInput } from '../expression-input';

export function TransformForm({ node, input }: { node: TGraphNode; input: TColumn[] | null }) {
  const ctx = useEditor();
  const c = readTransformConfig(node.config);
  const set = (next: TTransformConfig, key: string) => ctx.setConfig(node.id, next, key);
  const setCol = (i: number, col: TDerivedColumn, key: string) => set({ columns: c.columns.map((x, k) => (k === i ? col : x)) }, `c${i}-${key}`);
  const move = (i: number, d: -1 | 1) => {
    const cols = [...c.columns];
    const [x] = cols.splice(i, 1);
    cols.splice(i + d, 0, x!);
    set({ columns: cols }, 'order');
  };
  return (
    <div className={styles.form}>
      {c.columns.length === 0 ? <p className="muted small">No derived columns yet. Add one to compute a value per row, e.g. a hashed email or a lifecycle stage.</p> : null}
      {c.columns.map((col, i) => {
        const scope = input ? transformScope(c, input, i) : null;
        return (
          <div key={i} className={styles.derived}>
            <div className={styles.conditionLine}>
              <input aria-label={`Column ${i + 1} name`} value={col.name} placeholder="new_column" onChange={(e) => setCol(i, { ...col, name: e.target.value }, 'name')} className={messageAt(ctx.issues, node.id, ['columns', i, 'name']) ? styles.inputBad : undefined} />
              <select
                aria-label={`Column ${i + 1} type`}
                value={col.type ?? ''}
                onChange={(e) => {
                  const t = CAST_TARGETS.find((x) => x === e.target.value);
                  const { type: _t, ...rest } = col;
                  setCol(i, t ? { ...rest, type: t } : rest, 'type');
                }}
              >
                <option value="">type: automatic</option>
                {CAST_TARGETS.map((t) => (
                  <option key={t} value={t}>
                    as {t}
                  </option>
                ))}
              </select>
              <span className={styles.spacer} />
              <button type="button" className="btn small ghost" aria-label="Move up" disabled={i === 0} onClick={() => move(i, -1)}>
                ↑
              </button>
              <button type="button" className="btn small ghost" aria-label="Move down" disabled={i === c.columns.length - 1} onClick={() => move(i, 1)}>
                ↓
              </button>
              <button type="button" className="btn small ghost" aria-label={`Remove column ${col.name || i + 1}`} onClick={() => set({ columns: c.columns.filter((_, k) => k !== i) }, 'columns')}>
                ✕
              </button>
            </div>
            <ExpressionInput label={`Column ${i + 1} expression`} value={col.expression} columns={scope} onChange={(v) => setCol(i, { ...col, expression: v }, 'expr')} />
            {(['name', 'type'] as const).map((f) => {
              const m = messageAt(ctx.issues, node.id, ['columns', i, f]);
              return m ? (
                <span key={f} className="field-error">
                  {m}
                </span>
              ) : null;
            })}
          </div>
        );
      })}
      <button type="button" className="btn small" onClick={() => set({ columns: [...c.columns, { name: `column_${c.columns.length + 1}`, expression: '' }] }, 'columns')}>
        + Derived column
      </button>
      <details className={styles.columns}>
        <summary>Functions and syntax</summary>
        <p className="small">
          {FUNCTION_NAMES.map((f) => (
            <code key={f} className={styles.fn}>
              {f}()
            </code>
          ))}
        </p>
        <p className="muted small">
          Operators: + - * / % || = != &lt; &gt; and or not, IS [NOT] NULL, IN (…), BETWEEN, CASE WHEN … THEN … ELSE … END, CAST(x AS integer), DATE &apos;2024-01-31&apos;. A column may use the
          ones defined above it.
        </p>
      </details>
    </div>
  );
}
