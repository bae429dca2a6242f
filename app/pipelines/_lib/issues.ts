/**
 * Validation issues as the canvas shows them: per node (badges), sorted for
 * the issues panel (errors first, in graph order), and per form field (an
 * issue's `path` points into the node's config).
 */
import type { TIssue } from '../../../workflows/graph/issues';
import type { TGraph } from '../../../workflows/graph/schema';

export type NodeIssueSummary = { errors: number; warnings: number; first: TIssue };

/**
 * The node an issue belongs to: its nodeId, else the existing end of its edge
 * (a dangling edge still has one), else none (graph-level issues).
 */
export function issueNodeId(issue: TIssue, graph: TGraph): string | null {
  if (issue.nodeId && graph.nodes.some((n) => n.id === issue.nodeId)) return issue.nodeId;
  if (issue.edgeId) {
    const e = graph.edges.find((x) => x.id === issue.edgeId);
    if (e) {
      if (graph.nodes.some((n) => n.id === e.target)) return e.target;
      if (graph.nodes.some((n) => n.id === e.source)) return e.source;
    }
  }
  return null;
}

export function issuesByNode(issues: TIssue[], graph: TGraph): Map<string, NodeIssueSummary> {
  const out = new Map<string, NodeIssueSummary>();
  for (const i of sortIssues(issues, graph)) {
    const id = issueNodeId(i, graph);
    if (!id) continue;
    const s = out.get(id) ?? { errors: 0, warnings: 0, first: i };
    if (i.severity === 'error') s.errors++;
    else s.warnings++;
    out.set(id, s);
  }
  return out;
}

/** Errors before warnings; within each, in the order the nodes appear in the graph; graph-level issues first. */
export function sortIssues(issues: TIssue[], graph: TGraph): TIssue[] {
  const order = new Map(graph.nodes.map((n, i) => [n.id, i]));
  const rank = (i: TIssue) => {
    const id = issueNodeId(i, graph);
    return id === null ? -1 : (order.get(id) ?? graph.nodes.length);
  };
  return issues
    .map((issue, idx) => ({ issue, idx }))
    .sort((a, b) => (a.issue.severity === b.issue.severity ? 0 : a.issue.severity === 'error' ? -1 : 1) || rank(a.issue) - rank(b.issue) || a.idx - b.idx)
    .map((x) => x.issue);
}

/** Issues of one node whose config path starts with `prefix` (e.g. ['mappings', 2]). */
export function issuesAt(issues: TIssue[], nodeId: string, prefix: (string | number)[]): TIssue[] {
  return issues.filter((i) => i.nodeId === nodeId && i.path !== undefined && prefix.every((p, k) => i.path![k] === p));
}

/** The first message at a path, for an inline field error. */
export function messageAt(issues: TIssue[], nodeId: string, prefix: (string | number)[]): string | undefined {
  return issuesAt(issues, nodeId, prefix)[0]?.message;
}

export function countIssues(issues: TIssue[]): { errors: number; warnings: number } {
  let errors = 0;
  let warnings = 0;
  for (const i of issues) {
    if (i.severity === 'error') errors++;
    else warnings++;
  }
  return { errors, warnings };
}

/**
 * Client validation sees the graph and the snapshots; the server also sees
 * the warehouse (live columns, SQL errors). After publish or a server check,
 * both lists are shown; the same message is listed once.
 */
export function mergeIssues(client: TIssue[], server: TIssue[]): TIssue[] {
  const seen = new Set(client.map((i) => `${i.code}|${i.nodeId ?? ''}|${i.message}`));
  return [...client, ...server.filter((i) => !seen.has(`${i.code}|${i.nodeId ?? ''}|${i.message}`))];
}
