import { ConnectionDetail } from '../_components/connection-detail';

export default async function ConnectionPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { id } = await params;
  const query = await searchParams;
  return (
    <div className="page narrow-wide">
      <ConnectionDetail id={id} justCreated={query.created === '1'} />
    </div>
  );
}
