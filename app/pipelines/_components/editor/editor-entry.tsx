'use client';
/**
 * Loads the editor in the browser only: React Flow measures the DOM and
 * CodeMirror needs `document`, so server rendering would only show a flash.
 */
import dynamic from 'next/dynamic';

const PipelineEditor = dynamic(() => import('./pipeline-editor').then((m) => m.PipelineEditor), {
  ssr: false,
  loading: () => <p className="muted" style={{ padding: 24 }}>Loading the editor…</p>,
});

export function EditorEntry({ id }: { id: string }) {
  return <PipelineEditor id={id} />;
}
