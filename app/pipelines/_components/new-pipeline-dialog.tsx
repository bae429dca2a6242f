'use client';
/** "New pipeline": a name and a starting point (blank, or the demo template wired to the workspace's connections). */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useTRPC } from '../../_components/trpc';
import { ConfirmDialog } from '../../runs/_components/confirm-dialog';
import { pickTemplateConnections, templateGraph, TEMPLATES, type TemplateId } from '../_lib/templates';
import styles from './pipelines-list.module.css';

export function NewPipelineDialog({ onClose }: { onClose: () => void }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const connections = useQuery(trpc.connection.list.queryOptions());
  const demo = useQuery(trpc.connection.demoWarehouse.queryOptions());
  const [template, setTemplate] = useState<TemplateId>('demo-churn');
  const [name, setName] = useState('');
  const picked = pickTemplateConnections(connections.data ?? [], demo.data?.path ?? null);
  const byId = (id: string | undefined) => connections.data?.find((c) => c.id === id);
  const create = useMutation(
    trpc.pipeline.create.mutationOptions({
      onSuccess: async (p) => {
        await queryClient.invalidateQueries({ queryKey: trpc.pipeline.list.queryKey() });
        router.push(`/pipelines/${p.id}`);
      },
    }),
  );
  const chosen = TEMPLATES.find((t) => t.id === template)!;
  const finalName = name.trim() || (template === 'blank' ? 'Untitled pipeline' : 'High-churn customers');

  return (
    <ConfirmDialog
      open
      title="New pipeline"
      confirmLabel="Create pipeline"
      busy={create.isPending}
      onConfirm={() => create.mutate({ name: finalName, graph: templateGraph(template, picked) })}
      onClose={onClose}
    >
      <div className="form">
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder={finalName} autoFocus />
        </label>
        <fieldset className={styles.templates} aria-label="Start from">
          {TEMPLATES.map((t) => (
            <label key={t.id} className={styles.template}>
              <input type="radio" name="template" value={t.id} checked={template === t.id} onChange={() => setTemplate(t.id)} />
              <span className={styles.templateText}>
                <strong>{t.name}</strong>
                <span className="muted small">{t.description}</span>
              </span>
            </label>
          ))}
        </fieldset>
        {chosen.id === 'demo-churn' ? (
          <div className="small">
            The template will use:
            <ul className={styles.uses}>
              <li>
                Source: {picked.source ? <strong>{byId(picked.source.id)?.name}</strong> : <span className="attention-text">no DuckDB connection yet — </span>}
                {picked.source ? null : <Link href="/connections">connect the demo warehouse</Link>}
              </li>
              <li>
                Destination:{' '}
                {picked.destination ? <strong>{byId(picked.destination.id)?.name}</strong> : <span className="muted">none found (HubSpot, webhook or test sink); pick one in the editor</span>}
              </li>
            </ul>
          </div>
        ) : null}
        {create.error ? (
          <p className="error-text" role="alert">
            {create.error.message}
          </p>
        ) : null}
      </div>
    </ConfirmDialog>
  );
}
