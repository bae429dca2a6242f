import { RunDetail } from '../_components/run-detail';

export default async function RunPage({ params }: { params: Promise<{ runId: string }> }) {
  const { runId } = await params;
  return (
    <div className="page">
      <RunDetail runId={runId} />
    </div>
  );
}
