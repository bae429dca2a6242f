'use client';
/**
 * The pipeline editor: canvas, palette, side panel, drawers and toolbar.
 *
 * State: the graph (workflows/graph format) lives in an undo history; React
 * Flow's nodes and edges are derived from it on every render, so there is one
 * source of truth. Validation runs the shared validator in the browser
 * (debounced) and the draft is autosaved with the draft revision as its
 * concurrency token. Viewers and operators get the same screen read-only.
 */
import '@xyflow/react/dist/style.css';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Background,
  BackgroundVariant,
  Controls,
  MarkerType,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type NodeChange,
} from '@xyflow/react';
import Link from 'next/link';
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { ToastProvider, useToast } from '../../../_components/toast';
import { useTRPC, useTRPCClient } from '../../../_components/trpc';
import { useWorkspaceRole } from '../../../_components/use-role';
import { parsePipelineDocument, toDocument } from '../../../../workflows/graph/document';
import type { TIssue } from '../../../../workflows/graph/issues';
import { emptyGraph, ZGraph, type TGraph, type TPosition } from '../../../../workflows/graph/schema';
import { validateGraph } from '../../../../workflows/graph/validate';
import { ZQuerySource } from '../../../../workflows/nodes/query/schema';
import { findNodeType } from '../../../../workflows/nodes/registry';
import { createAutosaver, type Autosaver, type SaveState } from '../../_lib/autosave';
import { clientValidationEnv } from '../../_lib/client-env';
import { readQueryConfig } from '../../_lib/config-draft';
import {
  addNode,
  addNodeAfter,
  connect,
  copyNodes,
  moveNodes,
  nodeLabel,
  parseClipboard,
  pasteNodes,
  removeEdges,
  removeNodes,
  renameNode,
  setConfig as setNodeConfig,
  type TClipboard,
} from '../../_lib/graph-edit';
import { canRedo, canUndo, createHistory, pushHistory, redo, undo } from '../../_lib/history';
import { countIssues, issueNodeId, issuesByNode, mergeIssues, sortIssues } from '../../_lib/issues';
import { autoLayout } from '../../_lib/layout';
import { DND_MIME } from '../../_lib/palette';
import { canvasShortcut } from '../../_lib/shortcuts';
import { nodeSummary } from '../../_lib/summary';
import { pickTemplateConnections, templateGraph } from '../../_lib/templates';
import { downloadJson, errorMessage, fileSafe, isConflict, type PipelineDetail } from '../shared';
import { canvasTypeOf, nodeTypes, type CanvasNode } from './canvas-node';
import { EditorContext, type EditorContextValue } from './editor-context';
import styles from './editor.module.css';
import { IssuesPanel } from './issues-panel';
import { Palette } from './palette';
import { PreviewPanel, type PreviewRequest } from './preview-panel';
import { SidePanel } from './side-panel';
import { Toolbar } from './toolbar';
import { VersionsDrawer } from './versions-drawer';

export function PipelineEditor({ id }: { id: string }) {
  const trpc = useTRPC();
  const [loadKey, setLoadKey] = useState(0);
  // The editor owns the draft once loaded: no background refetch may replace it.
  const pipeline = useQuery({ ...trpc.pipeline.get.queryOptions({ id }), staleTime: Infinity, refetchOnWindowFocus: false, refetchOnReconnect: false });
  const reload = useCallback(async () => {
    await pipeline.refetch();
    setLoadKey((k) => k + 1);
  }, [pipeline]);

  if (pipeline.isLoading) return <p className="muted" style={{ padding: 24 }}>Loading the pipeline…</p>;
  if (pipeline.error || !pipeline.data) {
    return (
      <div className="page">
        <p className="error-text" role="alert">
          {pipeline.error?.message ?? 'This pipeline could not be loaded.'}
        </p>
        <Link href="/pipelines">← All pipelines</Link>
      </div>
    );
  }
  return (
    <ToastProvider>
      <ReactFlowProvider>
        <Editor key={loadKey} pipeline={pipeline.data} reload={reload} />
      </ReactFlowProvider>
    </ToastProvider>
  );
}

/** The stored draft as a graph; a draft in another format opens as an empty canvas with a warning. */
function parseDraft(draft: unknown): { graph: TGraph; problem: string | null } {
  const parsed = ZGraph.safeParse(draft);
  if (parsed.success) return { graph: parsed.data, problem: null };
  const first = parsed.error.issues[0];
  return { graph: emptyGraph(), problem: `${first?.path.map(String).join('.') || 'graph'}: ${first?.message ?? 'not a Backflow graph'}` };
}

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

type Selection = { nodes: string[]; edges: string[] };
type ServerIssues = { issues: TIssue[]; configs: Map<string, unknown>; source: 'publish' | 'check' };

function applySelect(current: string[], changes: { id: string; selected: boolean }[]): string[] {
  const set = new Set(current);
  for (const c of changes) {
    if (c.selected) set.add(c.id);
    else set.delete(c.id);
  }
  return [...set];
}

function Editor({ pipeline, reload }: { pipeline: PipelineDetail; reload: () => Promise<void> }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const toast = useToast();
  const rf = useReactFlow<CanvasNode, Edge>();
  const { can, role } = useWorkspaceRole();
  const canEdit = can('editor');
  const canRun = can('operator');
  const id = pipeline.id;

  const [initial] = useState(() => parseDraft(pipeline.draft));
  const [history, setHistory] = useState(() => createHistory(initial.graph));
  const [viewing, setViewing] = useState<{ number: number; graph: TGraph } | null>(null);
  const readOnly = !canEdit || viewing !== null;
  const graph = viewing?.graph ?? history.present;
  const graphRef = useRef(graph);
  graphRef.current = graph;

  const [name, setName] = useState(pipeline.name);
  const [latestVersion, setLatestVersion] = useState(pipeline.latestVersion);
  const [selection, setSelection] = useState<Selection>({ nodes: [], edges: [] });
  const [measured, setMeasured] = useState<Map<string, { width: number; height: number }>>(() => new Map());
  const [saveState, setSaveState] = useState<SaveState>({ status: 'saved', savedAt: new Date(pipeline.draftSavedAt).getTime() });
  const [serverIssues, setServerIssues] = useState<ServerIssues | null>(null);
  const [drawer, setDrawer] = useState<'issues' | 'preview' | null>(null);
  const [versionsOpen, setVersionsOpen] = useState(false);
  const [helpOpen, setHelpOpen] = useState(false);
  const [previewRequest, setPreviewRequest] = useState<PreviewRequest | null>(null);
  const [busy, setBusy] = useState<null | 'publish' | 'run' | 'check'>(null);
  const canvasRef = useRef<HTMLDivElement>(null);
  const clipboard = useRef<TClipboard | null>(null);
  const pasteHandled = useRef(false);

  const connections = useQuery(trpc.connection.list.queryOptions());
  const connectors = useQuery(trpc.connection.connectors.queryOptions());
  const env = useMemo(
    () =>
      clientValidationEnv(
        connections.data?.map((c) => ({ id: c.id, name: c.name, kind: c.kind, connector: c.connector })),
        connectors.data?.map((c) => ({ slug: c.slug, kind: c.kind, displayName: c.displayName, capabilities: c.capabilities })),
      ),
    [connections.data, connectors.data],
  );

  // ── validation: the shared validator, on the graph as it settles ──
  const settled = useDebounced(graph, 250);
  const validation = useMemo(() => validateGraph(settled, env), [settled, env]);
  const liveServerIssues = useMemo(() => {
    if (!serverIssues) return [];
    // A server issue stays until its node's config changes (or the node goes away).
    return serverIssues.issues.filter((i) => {
      if (!i.nodeId) return true;
      const n = graph.nodes.find((x) => x.id === i.nodeId);
      return n !== undefined && serverIssues.configs.get(i.nodeId) === n.config;
    });
  }, [serverIssues, graph]);
  const issues = useMemo(() => sortIssues(mergeIssues(validation.issues, liveServerIssues), graph), [validation.issues, liveServerIssues, graph]);
  const byNode = useMemo(() => issuesByNode(issues, graph), [issues, graph]);
  const counts = countIssues(issues);

  // ── editing ──
  const edit = useCallback(
    (fn: (g: TGraph) => TGraph, key?: string) => {
      if (readOnly) return;
      setHistory((h) => pushHistory(h, fn(h.present), key ? { key } : {}));
    },
    [readOnly],
  );

  // ── autosave ──
  const saverRef = useRef<Autosaver<TGraph> | null>(null);
  if (saverRef.current === null) {
    saverRef.current = createAutosaver<TGraph>({
      delayMs: 1000,
      revision: pipeline.draftRevision,
      save: async (g, baseRevision) => (await client.pipeline.saveDraft.mutate({ id, graph: g, baseRevision })).draftRevision,
      isConflict,
      onState: setSaveState,
    });
  }
  const saver = saverRef.current;
  // Leaving the editor saves what is pending (and is harmless when StrictMode re-runs effects).
  useEffect(() => () => void saver.flush(), [saver]);
  const savedGraph = useRef(history.present);
  useEffect(() => {
    // Until the role is known nothing is saved; the edit waits here and goes out once it is.
    if (!canEdit || history.present === savedGraph.current) return;
    savedGraph.current = history.present;
    saver.change(history.present);
  }, [history.present, canEdit, saver]);
  const unsaved = saveState.status !== 'saved';
  useEffect(() => {
    if (!unsaved) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [unsaved]);

  // Query nodes without known columns (a template, an import) get them from the warehouse once.
  const introspected = useRef(new Set<string>());
  useEffect(() => {
    if (!canEdit || viewing) return;
    for (const n of history.present.nodes) {
      if (n.type !== 'query' || introspected.current.has(n.id)) continue;
      const c = readQueryConfig(n.config);
      const source = ZQuerySource.safeParse(c.source);
      if (c.columns || !c.connectionId || !source.success) continue;
      introspected.current.add(n.id);
      client.pipeline.introspect
        .query({ connectionId: c.connectionId, source: source.data })
        .then((r) =>
          setHistory((h) => {
            const node = h.present.nodes.find((x) => x.id === n.id);
            if (!node) return h;
            const cur = readQueryConfig(node.config);
            if (cur.columns || JSON.stringify(cur.source) !== JSON.stringify(c.source)) return h;
            return pushHistory(h, setNodeConfig(h.present, n.id, { ...cur, columns: r.columns }), { key: `introspect:${n.id}` });
          }),
        )
        .catch((err: unknown) => toast({ tone: 'error', title: `Could not read the columns of ${nodeLabel(n)}`, body: errorMessage(err) }));
    }
  }, [canEdit, viewing, history.present.nodes, client, toast]);

  // ── React Flow view of the graph ──
  const connectionName = useCallback((cid: string) => connections.data?.find((c) => c.id === cid)?.name, [connections.data]);
  const selectedNodes = useMemo(() => new Set(selection.nodes), [selection.nodes]);
  const selectedEdges = useMemo(() => new Set(selection.edges), [selection.edges]);
  const rfNodes = useMemo<CanvasNode[]>(
    () =>
      graph.nodes.map((n) => {
        const def = findNodeType(n.type);
        const s = byNode.get(n.id);
        const cols = validation.columns[n.id];
        const size = measured.get(n.id);
        return {
          id: n.id,
          type: canvasTypeOf(n.type),
          position: n.position,
          selected: selectedNodes.has(n.id),
          ...(size ? { measured: size } : {}),
          data: {
            label: nodeLabel(n),
            typeLabel: def ? `${def.meta.label} · ${n.id}` : `${n.type}? · ${n.id}`,
            icon: def?.meta.icon ?? '❔',
            color: def?.meta.color ?? '#6a737d',
            summary: nodeSummary(n, { connectionName }),
            columns: cols ? cols.length : null,
            showColumns: (def?.meta.outputs ?? 0) > 0,
            errors: s?.errors ?? 0,
            warnings: s?.warnings ?? 0,
            firstIssue: s?.first.message ?? null,
            inputs: def?.meta.inputs ?? 1,
            outputs: def?.meta.outputs ?? 1,
            readOnly,
          },
        };
      }),
    [graph.nodes, byNode, validation.columns, measured, selectedNodes, connectionName, readOnly],
  );
  const edgeIssues = useMemo(() => new Set(issues.filter((i) => i.edgeId && i.severity === 'error').map((i) => i.edgeId!)), [issues]);
  const rfEdges = useMemo<Edge[]>(
    () =>
      graph.edges.map((e) => ({
        id: e.id,
        source: e.source,
        target: e.target,
        selected: selectedEdges.has(e.id),
        markerEnd: { type: MarkerType.ArrowClosed, width: 18, height: 18 },
        ...(edgeIssues.has(e.id) ? { className: styles.edgeError } : {}),
      })),
    [graph.edges, selectedEdges, edgeIssues],
  );

  const onNodesChange = useCallback(
    (changes: NodeChange<CanvasNode>[]) => {
      const positions = new Map<string, TPosition>();
      const dims: [string, { width: number; height: number }][] = [];
      const select: { id: string; selected: boolean }[] = [];
      for (const c of changes) {
        if (c.type === 'position' && c.position) positions.set(c.id, { x: Math.round(c.position.x), y: Math.round(c.position.y) });
        else if (c.type === 'dimensions' && c.dimensions) dims.push([c.id, c.dimensions]);
        else if (c.type === 'select') select.push({ id: c.id, selected: c.selected });
      }
      if (positions.size) edit((g) => moveNodes(g, positions), `move:${[...positions.keys()].sort().join(',')}`);
      if (dims.length) {
        setMeasured((m) => {
          const next = new Map(m);
          for (const [nid, d] of dims) next.set(nid, d);
          return next;
        });
      }
      if (select.length) setSelection((s) => ({ ...s, nodes: applySelect(s.nodes, select) }));
    },
    [edit],
  );
  const onEdgesChange = useCallback((changes: EdgeChange<Edge>[]) => {
    const select = changes.flatMap((c) => (c.type === 'select' ? [{ id: c.id, selected: c.selected }] : []));
    if (select.length) setSelection((s) => ({ ...s, edges: applySelect(s.edges, select) }));
  }, []);

  const selectOnly = useCallback((nodeIds: string[]) => setSelection({ nodes: nodeIds, edges: [] }), []);
  const focusNode = useCallback(
    (nodeId: string) => {
      selectOnly([nodeId]);
      const n = graphRef.current.nodes.find((x) => x.id === nodeId);
      if (n) void rf.setCenter(n.position.x + 124, n.position.y + 50, { zoom: Math.max(rf.getZoom(), 0.9), duration: 300 });
    },
    [rf, selectOnly],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      if (readOnly) return;
      const r = connect(graphRef.current, c.source, c.target);
      if ('error' in r) toast({ tone: 'error', title: 'Connection refused', body: r.error });
      else edit(() => r.graph);
    },
    [edit, readOnly, toast],
  );

  const viewportCenter = useCallback((): TPosition => {
    const box = canvasRef.current?.getBoundingClientRect();
    if (!box) return { x: 0, y: 0 };
    const p = rf.screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 3 });
    return { x: Math.round(p.x - 124), y: Math.round(p.y - 50) };
  }, [rf]);

  const addFromPalette = useCallback(
    (type: string) => {
      if (readOnly) return;
      const after = selection.nodes.length === 1 ? selection.nodes[0]! : null;
      const r = addNodeAfter(graphRef.current, type, after, viewportCenter());
      edit(() => r.graph);
      selectOnly([r.id]);
      if (r.note) toast({ title: 'Added as a new branch', body: r.note });
    },
    [edit, readOnly, selection.nodes, selectOnly, toast, viewportCenter],
  );

  const onDrop = useCallback(
    (e: DragEvent<HTMLDivElement>) => {
      const type = e.dataTransfer.getData(DND_MIME);
      if (!type || readOnly) return;
      e.preventDefault();
      const p = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      const r = addNode(graphRef.current, type, { x: Math.round(p.x - 124), y: Math.round(p.y - 30) });
      edit(() => r.graph);
      selectOnly([r.id]);
    },
    [edit, readOnly, rf, selectOnly],
  );

  // ── actions ──
  const deleteSelection = useCallback(() => {
    if (readOnly || (selection.nodes.length === 0 && selection.edges.length === 0)) return;
    edit((g) => removeEdges(removeNodes(g, selection.nodes), selection.edges));
    setSelection({ nodes: [], edges: [] });
  }, [edit, readOnly, selection]);

  const copySelection = useCallback((): TClipboard | null => {
    const clip = copyNodes(graphRef.current, selection.nodes);
    if (clip) clipboard.current = clip;
    return clip;
  }, [selection.nodes]);

  const paste = useCallback(
    (clip: TClipboard | null) => {
      if (!clip || readOnly) return;
      const r = pasteNodes(graphRef.current, clip);
      edit(() => r.graph);
      selectOnly(r.ids);
      toast({ tone: 'ok', title: `Pasted ${r.ids.length} node${r.ids.length === 1 ? '' : 's'}` });
    },
    [edit, readOnly, selectOnly, toast],
  );

  const fitView = useCallback(() => void rf.fitView({ padding: 0.2, duration: 300 }), [rf]);
  const layout = useCallback(() => {
    edit((g) => autoLayout(g, measured));
    setTimeout(fitView, 60);
  }, [edit, fitView, measured]);

  const saveNow = useCallback(async () => {
    if (!canEdit) return;
    const ok = await saver.flush();
    if (ok) toast({ tone: 'ok', title: 'Draft saved' });
  }, [canEdit, saver, toast]);

  const openPreview = useCallback(
    (nodeId?: string) => {
      const target = nodeId ?? (selection.nodes.length === 1 ? selection.nodes[0] : undefined);
      if (!target) {
        toast({ title: 'Select a node to preview', body: 'Click a node, then press Ctrl/⌘ + Enter or Preview.' });
        return;
      }
      setDrawer('preview');
      // Editors preview what they see; others preview the saved draft (the server allows no more).
      setPreviewRequest({ nodeId: target, graph: canEdit && !viewing ? graphRef.current : null, at: Date.now() });
    },
    [canEdit, selection.nodes, toast, viewing],
  );

  const configsNow = () => new Map(graphRef.current.nodes.map((n) => [n.id, n.config]));

  const publish = useCallback(async () => {
    if (!canEdit || busy) return;
    setBusy('publish');
    try {
      if (!(await saver.flush())) {
        toast({ tone: 'error', title: 'Not published', body: 'The draft could not be saved first — see the save status next to the name.' });
        return;
      }
      const r = await client.pipeline.publish.mutate({ id });
      if (!r.ok) {
        setServerIssues({ issues: r.issues, configs: configsNow(), source: 'publish' });
        setDrawer('issues');
        const n = countIssues(r.issues).errors;
        toast({ tone: 'error', title: `Not published: ${n} error${n === 1 ? '' : 's'}`, body: 'Every problem is listed under Issues; click one to jump to its node.' });
        return;
      }
      setServerIssues(r.warnings.length ? { issues: r.warnings, configs: configsNow(), source: 'publish' } : null);
      setLatestVersion({ id: r.version.id, number: r.version.number, planHash: r.version.planHash, createdAt: r.version.createdAt, note: null });
      await queryClient.invalidateQueries({ queryKey: trpc.pipeline.versions.queryKey({ id }) });
      toast({
        tone: 'ok',
        title: r.unchanged ? `Nothing changed since version ${r.version.number}` : `Published version ${r.version.number}`,
        body: r.resets.length ? `Destination reset needed: ${r.resets.map((x) => `${x.nodeId}: ${x.reason}`).join('; ')}` : canRun ? 'Runs now use this version.' : undefined,
      });
    } catch (err) {
      toast({ tone: 'error', title: 'Publish failed', body: errorMessage(err) });
    } finally {
      setBusy(null);
    }
  }, [busy, canEdit, canRun, client, id, queryClient, saver, toast, trpc]);

  const checkOnServer = useCallback(async () => {
    setBusy('check');
    try {
      const r = await client.pipeline.validate.query(canEdit && !viewing ? { id, graph: graphRef.current } : { id });
      setServerIssues({ issues: r.issues, configs: configsNow(), source: 'check' });
      setDrawer('issues');
      const c = countIssues(r.issues);
      toast({ tone: c.errors ? 'error' : 'ok', title: c.errors ? `The warehouse check found ${c.errors} error${c.errors === 1 ? '' : 's'}` : 'Checked against the warehouse: no errors' });
    } catch (err) {
      toast({ tone: 'error', title: 'Check failed', body: errorMessage(err) });
    } finally {
      setBusy(null);
    }
  }, [canEdit, client, id, toast, viewing]);

  const runs = useQuery({ ...trpc.run.list.queryOptions({ pipelineId: id, limit: 5 }), refetchInterval: (q) => (q.state.data?.runs.some((r) => ['queued', 'running', 'paused'].includes(r.status)) ? 3000 : false) });
  const startRun = useCallback(async () => {
    if (!canRun || busy) return;
    setBusy('run');
    try {
      const r = await client.run.start.mutate({ pipelineId: id });
      await queryClient.invalidateQueries({ queryKey: trpc.run.list.queryKey({ pipelineId: id, limit: 5 }) });
      toast({ tone: 'ok', title: `Run started on version ${r.versionNumber}`, link: { href: `/runs/${r.runId}`, label: 'Watch the run →' } });
    } catch (err) {
      toast({ tone: 'error', title: 'The run did not start', body: errorMessage(err) });
    } finally {
      setBusy(null);
    }
  }, [busy, canRun, client, id, queryClient, toast, trpc]);

  const exportJson = useCallback(() => {
    downloadJson(`${fileSafe(name)}.backflow.json`, toDocument({ name, description: pipeline.description, graph: graphRef.current }));
  }, [name, pipeline.description]);

  const importJson = useCallback(
    async (file: File) => {
      const parsed = parsePipelineDocument(await file.text());
      if (!parsed.ok) {
        toast({ tone: 'error', title: 'This file cannot be imported', body: parsed.problems.slice(0, 3).join('; ') });
        return;
      }
      edit(() => parsed.document.graph);
      selectOnly([]);
      setTimeout(fitView, 60);
      toast({ tone: 'ok', title: `Replaced the canvas with "${parsed.document.name}"`, body: 'Undo (Ctrl/⌘ + Z) brings the previous graph back.' });
    },
    [edit, fitView, selectOnly, toast],
  );

  const rename = useCallback(
    async (next: string) => {
      const trimmed = next.trim();
      if (!trimmed || trimmed === name) return;
      try {
        const r = await client.pipeline.rename.mutate({ id, name: trimmed });
        setName(r.name);
        await queryClient.invalidateQueries({ queryKey: trpc.pipeline.list.queryKey() });
      } catch (err) {
        toast({ tone: 'error', title: 'Not renamed', body: errorMessage(err) });
      }
    },
    [client, id, name, queryClient, toast, trpc],
  );

  const overwrite = useCallback(async () => {
    try {
      const fresh = await client.pipeline.get.query({ id });
      saver.reset(fresh.draftRevision);
      saver.change(graphRef.current);
      if (await saver.flush()) toast({ tone: 'ok', title: 'Your version of the draft was saved over the other one' });
    } catch (err) {
      toast({ tone: 'error', title: 'Could not overwrite', body: errorMessage(err) });
    }
  }, [client, id, saver, toast]);

  const restoreVersion = useCallback(
    async (number: number) => {
      try {
        const r = await client.pipeline.restore.mutate({ id, number });
        saver.dispose();
        toast({ tone: 'ok', title: `Version ${r.restoredFrom} is the draft again`, body: `Draft revision ${r.draftRevision}. Publish to make runs use it.` });
        await reload();
      } catch (err) {
        toast({ tone: 'error', title: 'Not restored', body: errorMessage(err) });
      }
    },
    [client, id, reload, saver, toast],
  );

  const applyTemplate = useCallback(() => {
    const picked = pickTemplateConnections(connections.data ?? [], null);
    edit(() => templateGraph('demo-churn', picked));
    setTimeout(fitView, 80);
  }, [connections.data, edit, fitView]);

  // ── keyboard ──
  const actions = useRef({ deleteSelection, copySelection, paste, saveNow, openPreview, publish, layout, fitView });
  actions.current = { deleteSelection, copySelection, paste, saveNow, openPreview, publish, layout, fitView };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.target instanceof Element && e.target.closest('dialog[open]')) return;
      const action = canvasShortcut(e, e.target instanceof HTMLElement ? e.target : null);
      if (!action) return;
      // Capture phase: React Flow's own node key handling (Ctrl+Enter toggles a selection) must not see ours.
      if (action !== 'copy' && action !== 'paste' && action !== 'escape') e.stopPropagation();
      const a = actions.current;
      switch (action) {
        case 'delete':
          e.preventDefault();
          a.deleteSelection();
          return;
        case 'copy':
          // The native copy event (below) puts it on the system clipboard too.
          a.copySelection();
          return;
        case 'paste':
          // Prefer the native paste event (works across tabs); fall back to the in-page clipboard.
          pasteHandled.current = false;
          setTimeout(() => {
            if (!pasteHandled.current) a.paste(clipboard.current);
          }, 80);
          return;
        case 'undo':
          e.preventDefault();
          if (!readOnly) setHistory(undo);
          return;
        case 'redo':
          e.preventDefault();
          if (!readOnly) setHistory(redo);
          return;
        case 'save':
          e.preventDefault();
          void a.saveNow();
          return;
        case 'preview':
          e.preventDefault();
          a.openPreview();
          return;
        case 'publish':
          e.preventDefault();
          void a.publish();
          return;
        case 'layout':
          e.preventDefault();
          a.layout();
          return;
        case 'fit':
          e.preventDefault();
          a.fitView();
          return;
        case 'help':
          e.preventDefault();
          setHelpOpen((o) => !o);
          return;
        case 'escape':
          setHelpOpen(false);
          setVersionsOpen(false);
          return;
      }
    };
    const typing = (t: EventTarget | null) => t instanceof HTMLElement && (['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName) || t.isContentEditable || t.closest('.cm-editor') !== null);
    const onCopy = (e: ClipboardEvent) => {
      if (typing(e.target)) return;
      const clip = actions.current.copySelection();
      if (!clip || !e.clipboardData) return;
      e.clipboardData.setData('text/plain', JSON.stringify(clip));
      e.preventDefault();
    };
    const onPaste = (e: ClipboardEvent) => {
      if (typing(e.target)) return;
      const clip = parseClipboard(e.clipboardData?.getData('text/plain') ?? '');
      if (!clip) return;
      pasteHandled.current = true;
      e.preventDefault();
      actions.current.paste(clip);
    };
    window.addEventListener('keydown', onKey, true);
    document.addEventListener('copy', onCopy);
    document.addEventListener('paste', onPaste);
    return () => {
      window.removeEventListener('keydown', onKey, true);
      document.removeEventListener('copy', onCopy);
      document.removeEventListener('paste', onPaste);
    };
  }, [readOnly]);

  // ── side panel context ──
  const ctx = useMemo<EditorContextValue>(
    () => ({
      pipelineId: id,
      graph,
      columns: validation.columns,
      issues,
      readOnly,
      connections: connections.data ?? [],
      connectors: connectors.data ?? [],
      setConfig: (nodeId, config, key) => edit((g) => setNodeConfig(g, nodeId, config), `config:${nodeId}:${key}`),
      setLabel: (nodeId, label) => edit((g) => renameNode(g, nodeId, label), `label:${nodeId}`),
      select: focusNode,
    }),
    [id, graph, validation.columns, issues, readOnly, connections.data, connectors.data, edit, focusNode],
  );

  const selectedNode = selection.nodes.length === 1 ? graph.nodes.find((n) => n.id === selection.nodes[0]) : undefined;

  return (
    <EditorContext.Provider value={ctx}>
      <div className={styles.editor} data-testid="pipeline-editor">
        <Toolbar
          name={name}
          onRename={rename}
          canEdit={canEdit}
          canRun={canRun}
          role={role}
          saveState={saveState}
          onSaveNow={() => void saveNow()}
          onReload={() => void reload()}
          onOverwrite={() => void overwrite()}
          latestVersion={latestVersion}
          lastRun={runs.data?.runs[0] ?? null}
          counts={counts}
          canUndo={!readOnly && canUndo(history)}
          canRedo={!readOnly && canRedo(history)}
          onUndo={() => setHistory(undo)}
          onRedo={() => setHistory(redo)}
          onLayout={layout}
          onFit={fitView}
          onIssues={() => setDrawer((d) => (d === 'issues' ? null : 'issues'))}
          onPreview={() => openPreview()}
          onVersions={() => setVersionsOpen((o) => !o)}
          onExport={exportJson}
          onImport={(f) => void importJson(f)}
          onPublish={() => void publish()}
          onRun={() => void startRun()}
          busy={busy}
          helpOpen={helpOpen}
          onHelp={setHelpOpen}
          viewing={viewing !== null}
        />
        {initial.problem ? (
          <div className={styles.banner} role="alert">
            The saved draft is not in the Backflow graph format ({initial.problem}); the canvas starts empty. Saving replaces it.
          </div>
        ) : null}
        <div className={styles.body}>
          {!readOnly ? <Palette onAdd={addFromPalette} hasSelection={selection.nodes.length === 1} /> : null}
          <div className={styles.canvasColumn}>
            <div className={styles.canvas} ref={canvasRef} onDragOver={(e) => {
              if (e.dataTransfer.types.includes(DND_MIME)) {
                e.preventDefault();
                e.dataTransfer.dropEffect = 'copy';
              }
            }} onDrop={onDrop}>
              {viewing ? (
                <div className={styles.viewingBanner} role="status">
                  Viewing version {viewing.number} (read-only).
                  {canEdit ? (
                    <button type="button" className="btn small primary" onClick={() => void restoreVersion(viewing.number)}>
                      Restore as the draft
                    </button>
                  ) : null}
                  <button type="button" className="btn small" onClick={() => setViewing(null)}>
                    Back to the draft
                  </button>
                </div>
              ) : !canEdit && role ? (
                <div className={styles.viewingBanner} role="status">
                  Read-only: you are {role === 'operator' ? 'an operator' : 'a viewer'}. You can preview the saved draft{canRun ? ' and run published versions' : ''}.
                </div>
              ) : null}
              <ReactFlow<CanvasNode, Edge>
                nodes={rfNodes}
                edges={rfEdges}
                nodeTypes={nodeTypes}
                onNodesChange={onNodesChange}
                onEdgesChange={onEdgesChange}
                onConnect={onConnect}
                onNodeDoubleClick={(_, n) => openPreview(n.id)}
                nodesDraggable={!readOnly}
                nodesConnectable={!readOnly}
                elementsSelectable
                deleteKeyCode={null}
                fitView
                fitViewOptions={{ padding: 0.25, maxZoom: 1.1 }}
                minZoom={0.2}
                maxZoom={2}
                proOptions={{ hideAttribution: true }}
              >
                <Background variant={BackgroundVariant.Dots} gap={18} size={1} />
                <Controls showInteractive={false} />
                <MiniMap pannable zoomable style={{ width: 150, height: 96 }} nodeColor={(n) => (typeof n.data?.color === 'string' ? n.data.color : '#999')} />
              </ReactFlow>
              {graph.nodes.length === 0 ? (
                <div className={styles.emptyCanvas}>
                  <h2>An empty pipeline</h2>
                  {readOnly ? (
                    <p className="muted">Nothing has been drawn yet.</p>
                  ) : (
                    <>
                      <p className="muted">Drag a Query from the palette onto the canvas (or click it) to read rows from your warehouse, then add a filter, a map and a destination.</p>
                      <button type="button" className="btn primary" onClick={applyTemplate}>
                        Start from the demo template
                      </button>
                    </>
                  )}
                </div>
              ) : null}
            </div>
            {drawer ? (
              <div className={styles.drawer}>
                <div className={styles.drawerTabs} role="tablist">
                  <button type="button" role="tab" aria-selected={drawer === 'issues'} className={drawer === 'issues' ? styles.tabActive : styles.tab} onClick={() => setDrawer('issues')}>
                    Issues ({counts.errors + counts.warnings})
                  </button>
                  <button type="button" role="tab" aria-selected={drawer === 'preview'} className={drawer === 'preview' ? styles.tabActive : styles.tab} onClick={() => setDrawer('preview')}>
                    Preview
                  </button>
                  <span className={styles.spacer} />
                  <button type="button" className="btn small ghost" aria-label="Close the drawer" onClick={() => setDrawer(null)}>
                    ✕
                  </button>
                </div>
                <div className={styles.drawerBody}>
                  {drawer === 'issues' ? (
                    <IssuesPanel
                      issues={issues}
                      graph={graph}
                      onSelect={(i) => {
                        const nid = issueNodeId(i, graph);
                        if (nid) focusNode(nid);
                      }}
                      serverSource={serverIssues?.source ?? null}
                      onCheck={() => void checkOnServer()}
                      checking={busy === 'check'}
                    />
                  ) : (
                    <PreviewPanel request={previewRequest} pipelineId={id} graph={graph} onPreview={(nid) => openPreview(nid)} selectedNodeId={selectedNode?.id ?? null} />
                  )}
                </div>
              </div>
            ) : null}
          </div>
          <SidePanel node={selectedNode} selectionCount={selection.nodes.length} counts={counts} onPreview={(nid) => openPreview(nid)} onShowIssues={() => setDrawer('issues')} />
          {versionsOpen ? (
            <VersionsDrawer
              pipelineId={id}
              canEdit={canEdit}
              viewing={viewing?.number ?? null}
              onView={(v) => {
                setViewing(v);
                selectOnly([]);
                setTimeout(fitView, 60);
              }}
              onBack={() => setViewing(null)}
              onRestore={(n) => void restoreVersion(n)}
              onClose={() => setVersionsOpen(false)}
              unsaved={unsaved}
            />
          ) : null}
        </div>
      </div>
    </EditorContext.Provider>
  );
}
