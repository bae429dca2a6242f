/**
 * The editor's logic modules (app/pipelines/_lib) run in the browser: nothing
 * in their import graph may reach node:* built-ins or the server (app/_server).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const LIB = path.join(ROOT, 'app/pipelines/_lib');

function resolve(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec);
  for (const c of [`${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')]) {
    try {
      readFileSync(c);
      return c;
    } catch {
      // try the next candidate
    }
  }
  throw new Error(`cannot resolve ${spec} from ${from}`);
}

/** Every module reachable from `entry`, with its import specifiers (type-only imports included, to be strict). */
function importGraph(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const specs = [...readFileSync(file, 'utf8').matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    seen.set(file, specs);
    for (const s of specs) if (s.startsWith('.')) visit(resolve(file, s));
  };
  visit(entry);
  return seen;
}

describe('app/pipelines/_lib is browser-safe', () => {
  const files = readdirSync(LIB).filter((f) => f.endsWith('.ts'));
  it('has the editor helpers', () => {
    expect(files).toEqual(expect.arrayContaining(['graph-edit.ts', 'history.ts', 'layout.ts', 'issues.ts', 'autosave.ts', 'shortcuts.ts']));
  });
  it.each(files)('%s imports no node:* module and nothing from app/_server', (f) => {
    const graph = importGraph(path.join(LIB, f));
    for (const [file, specs] of graph) {
      for (const s of specs) {
        expect(s.startsWith('node:') || ['fs', 'path', 'crypto', 'pg'].includes(s), `${path.relative(ROOT, file)} imports ${s}`).toBe(false);
      }
      expect(path.relative(ROOT, file).startsWith('app/_server'), `${f} reaches ${path.relative(ROOT, file)}`).toBe(false);
    }
  });
});
