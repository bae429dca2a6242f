/**
 * The pipeline graph, for the canvas and the server alike (browser-safe):
 * format, issues, columns, schema propagation, validation and the
 * export/import document. Node types live in workflows/nodes/registry.ts.
 */
export { emptyGraph, GRAPH_FORMAT, GRAPH_VERSION, ZGraph, ZGraphEdge, ZGraphNode, ZPosition, type TGraph, type TGraphEdge, type TGraphNode, type TPosition } from './schema';
export { hasErrors, issue, ISSUE_CODES, ZIssue, ZIssueCode, type TIssue, type TIssueCode } from './issues';
export { findColumn, RESERVED_PREFIX, ZColumn, ZFieldType, type TColumn } from './columns';
export { propagateSchema, type NodeState, type Propagation } from './propagate';
export { validateGraph, type ConnectionFacts, type DestinationFacts, type Validation, type ValidationEnv } from './validate';
export { parsePipelineDocument, PIPELINE_DOCUMENT_FORMAT, toDocument, ZPipelineDocument, type TPipelineDocument } from './document';
