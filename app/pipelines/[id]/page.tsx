import { EditorEntry } from '../_components/editor/editor-entry';

export default async function PipelineEditorPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <EditorEntry id={id} />;
}
