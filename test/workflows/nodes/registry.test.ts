/**
 * The node registry: one entry per type with UI metadata, and the modules the
 * canvas imports (registry, node folders, graph, expression checker) stay
 * browser-safe: no node:* or server imports anywhere in their import graph.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeTypes } from '../../../workflows/nodes/registry';

const ROOT = path.resolve(import.meta.dirname, '../../..');

function importGraph(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const text = readFileSync(file, 'utf8');
    const specs = [...text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    seen.set(file, specs);
    for (const s of specs) {
      if (!s.startsWith('.')) continue;
      const base = path.resolve(path.dirname(file), s);
      const candidates = [`${base}.ts`, path.join(base, 'index.ts')];
      const found = candidates.find((c) => {
        try {
          readFileSync(c);
          return true;
        } catch {
          return false;
        }
      });
      if (!found) throw new Error(`cannot resolve ${s} from ${file}`);
      visit(found);
    }
  };
  visit(path.join(ROOT, entry));
  return seen;
}

describe('node registry', () => {
  it('registers the five core node types with UI metadata and a config schema', () => {
    expect(nodeTypes.map((n) => n.type)).toEqual(['query', 'filter', 'transform', 'map', 'destination']);
    for (const n of nodeTypes) {
      expect(n.meta.label).toMatch(/\w/);
      expect(n.meta.description.length).toBeGreaterThan(20);
      expect(['source', 'transform', 'destination']).toContain(n.meta.category);
      expect(n.meta.color).toMatch(/^#[0-9a-f]{6}$/);
    }
    expect(nodeTypes.find((n) => n.type === 'query')?.meta).toMatchObject({ inputs: 0, outputs: 1 });
    expect(nodeTypes.find((n) => n.type === 'destination')?.meta).toMatchObject({ inputs: 1, outputs: 0 });
  });

  it("every node type's default config is a starting point its schema understands", () => {
    for (const n of nodeTypes) {
      const parsed = n.configSchema.safeParse(n.defaultConfig());
      // query and destination need a connection picked first; the others parse as-is.
      if (n.type === 'query' || n.type === 'destination') expect(parsed.success).toBe(false);
      else expect(parsed.success, n.type).toBe(true);
    }
  });

  it('the canvas-facing modules import nothing from node:* or the server', () => {
    for (const entry of ['workflows/nodes/registry.ts', 'workflows/graph/validate.ts', 'workflows/compile/expr/check.ts']) {
      const graph = importGraph(entry);
      for (const [file, specs] of graph) {
        const bad = specs.filter((s) => s.startsWith('node:') || s.includes('_server') || s === 'pg' || s.startsWith('@duckdb'));
        expect(bad, path.relative(ROOT, file)).toEqual([]);
      }
      expect(graph.size).toBeGreaterThan(3);
    }
  });
});
