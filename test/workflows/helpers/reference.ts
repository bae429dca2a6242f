/**
 * A reference executor for tests: runs a query → filter/transform… → map path
 * in JS with the expression evaluator, so the rows the warehouses return for
 * the compiled SQL can be checked against the language's own semantics.
 */
import { RECORD_KEY_COLUMN } from '../../../workflows/compile/plan';
import { evaluate, type Row, type Value } from '../../../workflows/compile/expr/evaluate';
import type { TColumn } from '../../../workflows/graph/columns';
import type { TGraph } from '../../../workflows/graph/schema';
import { validateGraph } from '../../../workflows/graph/validate';
import { upstreamChain } from '../../../workflows/graph/topology';
import { buildFilter } from '../../../workflows/nodes/filter/condition';
import { ZFilterConfig } from '../../../workflows/nodes/filter/schema';
import { recordKeyExpr } from '../../../workflows/nodes/map/record-key';
import { resolveMap } from '../../../workflows/nodes/map/resolve';
import { ZMapConfig } from '../../../workflows/nodes/map/schema';
import { ZQueryConfig } from '../../../workflows/nodes/query/schema';
import { deriveColumns } from '../../../workflows/nodes/transform/derive';
import { ZTransformConfig } from '../../../workflows/nodes/transform/schema';
import type { CompileEnv } from '../../../workflows/compile/compile';

export function runReference(graph: TGraph, destinationId: string, sourceRows: Row[], env: CompileEnv): Row[] {
  const v = validateGraph(graph, env);
  if (!v.propagation) throw new Error('invalid graph');
  const p = v.propagation;
  const chain = upstreamChain(p.index, destinationId);
  const now = env.now ?? '2025-01-01 00:00:00';
  let rows = sourceRows.map((r) => ({ ...r }));
  let columns: TColumn[] = [];
  let primaryKey: string[] = [];
  for (const id of chain) {
    const state = p.nodes.get(id)!;
    switch (state.node.type) {
      case 'query':
        primaryKey = ZQueryConfig.parse(state.node.config).primaryKey;
        columns = state.columns!;
        break;
      case 'filter': {
        const { expr } = buildFilter(ZFilterConfig.parse(state.node.config), columns, id, id);
        if (expr) rows = rows.filter((r) => evaluate(expr, r, { now }) === true);
        break;
      }
      case 'transform': {
        const { derived } = deriveColumns(ZTransformConfig.parse(state.node.config), columns, id, id);
        rows = rows.map((r) => {
          const out: Row = { ...r };
          for (const d of derived) out[d.name] = evaluate(d.expr, r, { now });
          return out;
        });
        columns = state.columns!;
        break;
      }
      case 'map': {
        const { fields } = resolveMap(ZMapConfig.parse(state.node.config), columns, id, id);
        const key = recordKeyExpr(primaryKey, columns);
        rows = rows.map((r) => {
          const out: Row = { [RECORD_KEY_COLUMN]: evaluate(key, r, { now }) };
          for (const f of fields) out[f.name] = f.value.kind === 'list' ? JSON.stringify(f.value.values) : evaluate(f.value.expr, r, { now });
          return out;
        });
        break;
      }
    }
  }
  return rows;
}

export function sortByKey(rows: Record<string, Value>[]): Record<string, Value>[] {
  return [...rows].sort((a, b) => String(a[RECORD_KEY_COLUMN]).localeCompare(String(b[RECORD_KEY_COLUMN])));
}
