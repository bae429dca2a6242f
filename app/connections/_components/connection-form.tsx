'use client';
/**
 * The connection form, rendered from the connector's form spec (the server
 * flattens each zod schema into fields: app/_server/connections/catalog.ts).
 * Validation is the server's: its zod errors come back per field. Secrets are
 * password inputs and never prefilled; a saved one shows "•••• saved" and is
 * kept unless something new is typed.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTRPC } from '../../_components/trpc';
import type { ConnectionView, ConnectorInfo, FormField, FormSpec } from './shared';

type Value = string | boolean;
type Values = Record<string, Value>;

function initialValue(field: FormField, stored: unknown): Value {
  const v = stored === undefined ? field.default : stored;
  if (field.kind === 'boolean') return v === true;
  if (field.kind === 'secret') return '';
  if (v === undefined || v === null) return '';
  if (field.kind === 'json') return JSON.stringify(v, null, 2);
  return String(v);
}

function initialValues(fields: FormField[], stored: Record<string, unknown> | null): Values {
  return Object.fromEntries(fields.map((f) => [f.key, initialValue(f, stored?.[f.key])]));
}

function storedObject(value: unknown): Record<string, unknown> | null {
  return value && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value)) : null;
}

/** Form values → JSON for the router. Blank optional fields are left out so schema defaults apply. */
function toPayload(fields: FormField[], values: Values): { value: Record<string, unknown>; errors: Record<string, string> } {
  const value: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const f of fields) {
    const v = values[f.key];
    if (f.kind === 'boolean') {
      value[f.key] = v === true;
      continue;
    }
    const text = typeof v === 'string' ? v : '';
    if (text.trim() === '') continue;
    if (f.kind === 'number') {
      const n = Number(text);
      if (Number.isNaN(n)) errors[f.key] = 'enter a number';
      else value[f.key] = n;
    } else if (f.kind === 'json') {
      try {
        value[f.key] = JSON.parse(text);
      } catch (err) {
        errors[f.key] = `not valid JSON: ${err instanceof Error ? err.message : String(err)}`;
      }
    } else {
      value[f.key] = text;
    }
  }
  return { value, errors };
}

function variantFields(spec: FormSpec, variant: string | null): FormField[] {
  if (!spec.variants) return spec.fields;
  return spec.variants.options.find((o) => o.value === variant)?.fields ?? [];
}

export function ConnectionForm({
  connector,
  existing,
  onSaved,
  readOnly = false,
}: {
  connector: ConnectorInfo;
  existing?: ConnectionView;
  onSaved: (saved: ConnectionView) => void;
  readOnly?: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const credSpec = connector.forms.credentials;
  const [name, setName] = useState(existing?.name ?? '');
  const [accountKey, setAccountKey] = useState(existing?.accountKey ?? '');
  const [config, setConfig] = useState<Values>(() => initialValues(connector.forms.config.fields, storedObject(existing?.config)));
  const [variant, setVariant] = useState<string | null>(existing?.credentialsVariant ?? credSpec.variants?.options[0]?.value ?? null);
  const [creds, setCreds] = useState<Values>(() => initialValues(variantFields(credSpec, variant), null));
  const [clear, setClear] = useState<string[]>([]);
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);

  const done = async (view: ConnectionView) => {
    setSaved(true);
    setClear([]);
    setCreds(initialValues(variantFields(credSpec, variant), null));
    await queryClient.invalidateQueries({ queryKey: trpc.connection.list.queryKey() });
    await queryClient.invalidateQueries({ queryKey: trpc.connection.get.queryKey({ id: view.id }) });
    onSaved(view);
  };
  const create = useMutation(trpc.connection.create.mutationOptions({ onSuccess: (v) => void done(v) }));
  const update = useMutation(trpc.connection.update.mutationOptions({ onSuccess: (v) => void done(v) }));
  const mutation = existing ? update : create;
  const serverFieldErrors: Record<string, string[] | undefined> = mutation.error?.data?.zodError?.fieldErrors ?? {};
  const errorFor = (key: string) => clientErrors[key] ?? serverFieldErrors[key]?.join('; ');
  // A saved secret from another alternative (token vs OAuth) does not count for this one.
  const sameVariant = !credSpec.variants || variant === existing?.credentialsVariant;
  const isSaved = (key: string) => sameVariant && existing?.credentialsSet[key] === true && !clear.includes(key);

  function onSubmit(ev: FormEvent<HTMLFormElement>) {
    ev.preventDefault();
    setSaved(false);
    const fields = variantFields(credSpec, variant);
    const c = toPayload(connector.forms.config.fields, config);
    const k = toPayload(fields, creds);
    const errors = { ...c.errors, ...k.errors };
    setClientErrors(errors);
    if (Object.keys(errors).length > 0) return;
    const credentials = credSpec.variants && variant ? { ...k.value, [credSpec.variants.discriminator]: variant } : k.value;
    if (existing) {
      update.mutate({
        id: existing.id,
        name,
        config: c.value,
        credentials,
        clearCredentials: clear,
        accountKey: accountKey.trim() === '' ? null : accountKey.trim(),
      });
    } else {
      create.mutate({ connector: connector.slug, name, config: c.value, credentials, ...(accountKey.trim() ? { accountKey: accountKey.trim() } : {}) });
    }
  }

  const credentialFields = variantFields(credSpec, variant);
  return (
    <form className="card form conn-form" onSubmit={onSubmit} aria-label={existing ? 'Edit connection' : 'New connection'}>
      <fieldset disabled={readOnly || mutation.isPending}>
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} required placeholder={`My ${connector.displayName}`} />
          {errorFor('name') ? <span className="field-error">{errorFor('name')}</span> : null}
        </label>

        {connector.forms.config.fields.length > 0 ? (
          <div className="conn-section">
            <h3>Settings</h3>
            {connector.forms.config.fields.map((f) => (
              <FieldInput key={f.key} field={f} value={config[f.key] ?? ''} error={errorFor(f.key)} onChange={(v) => setConfig((s) => ({ ...s, [f.key]: v }))} />
            ))}
          </div>
        ) : null}

        {credSpec.variants || credentialFields.length > 0 ? (
          <div className="conn-section">
            <h3>Credentials</h3>
            <p className="muted small">Encrypted at rest; never shown again after saving.</p>
            {credSpec.variants ? (
              <label>
                Authentication
                <select
                  value={variant ?? ''}
                  onChange={(e) => {
                    setVariant(e.target.value);
                    setCreds(initialValues(variantFields(credSpec, e.target.value), null));
                  }}
                >
                  {credSpec.variants.options.map((o) => (
                    <option key={o.value} value={o.value}>
                      {o.label}
                    </option>
                  ))}
                </select>
              </label>
            ) : null}
            {credentialFields.map((f) => (
              <FieldInput
                key={`${variant ?? ''}:${f.key}`}
                field={f}
                value={creds[f.key] ?? ''}
                error={errorFor(f.key)}
                saved={isSaved(f.key)}
                onChange={(v) => setCreds((s) => ({ ...s, [f.key]: v }))}
                onClear={existing && isSaved(f.key) && !f.required ? () => setClear((c) => [...c, f.key]) : undefined}
              />
            ))}
            {clear.length > 0 ? (
              <p className="muted small">
                Will remove on save: {clear.join(', ')}{' '}
                <button type="button" className="btn ghost small" onClick={() => setClear([])}>
                  Undo
                </button>
              </p>
            ) : null}
          </div>
        ) : null}

        {connector.kind === 'destination' ? (
          <details className="conn-advanced">
            <summary>Advanced</summary>
            <label>
              Rate-limit account key
              <input value={accountKey} onChange={(e) => setAccountKey(e.target.value)} placeholder="defaults to this connection" />
              <span className="muted small">Connections with the same key share one request budget (the same API account).</span>
            </label>
          </details>
        ) : null}
      </fieldset>

      {mutation.error ? (
        <p className="error-text" role="alert">
          {mutation.error.message}
        </p>
      ) : null}
      {saved && !mutation.isPending ? (
        <p className="ok-text" role="status">
          Saved.
        </p>
      ) : null}
      {readOnly ? null : (
        <div className="conn-actions">
          <button type="submit" className="btn primary" disabled={mutation.isPending}>
            {mutation.isPending ? 'Saving…' : existing ? 'Save changes' : 'Create connection'}
          </button>
        </div>
      )}
    </form>
  );
}

function FieldInput({
  field,
  value,
  error,
  saved = false,
  onChange,
  onClear,
}: {
  field: FormField;
  value: Value;
  error: string | undefined;
  saved?: boolean;
  onChange: (v: Value) => void;
  onClear?: (() => void) | undefined;
}) {
  const text = typeof value === 'string' ? value : '';
  const hint = field.description ? <span className="muted small">{field.description}</span> : null;
  const err = error ? <span className="field-error">{error}</span> : null;
  const label = (
    <>
      {field.label}
      {field.required ? <span className="required" aria-hidden> *</span> : null}
    </>
  );
  if (field.kind === 'boolean') {
    return (
      <label className="checkbox">
        <input type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} />
        {label}
        {hint}
        {err}
      </label>
    );
  }
  let input;
  switch (field.kind) {
    case 'select':
      input = (
        <select value={text} onChange={(e) => onChange(e.target.value)} required={field.required}>
          {field.required && field.default !== undefined ? null : <option value="">—</option>}
          {(field.options ?? []).map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      );
      break;
    case 'number':
      input = (
        <input
          type="number"
          value={text}
          min={field.min}
          max={field.max}
          step={field.integer ? 1 : 'any'}
          placeholder={field.default !== undefined ? String(field.default) : ''}
          onChange={(e) => onChange(e.target.value)}
        />
      );
      break;
    case 'json':
      input = <textarea rows={4} className="mono" value={text} placeholder="JSON" onChange={(e) => onChange(e.target.value)} />;
      break;
    case 'secret':
      input = (
        <input
          type="password"
          autoComplete="new-password"
          value={text}
          placeholder={saved ? '•••• saved' : ''}
          required={field.required && !saved}
          onChange={(e) => onChange(e.target.value)}
        />
      );
      break;
    default:
      input = (
        <input
          type={field.kind === 'url' ? 'url' : 'text'}
          value={text}
          required={field.required}
          placeholder={field.default !== undefined ? String(field.default) : ''}
          onChange={(e) => onChange(e.target.value)}
        />
      );
  }
  // The remove button sits after the input: a label's first focusable child is what it activates.
  return (
    <label>
      <span>{label}</span>
      {input}
      {saved ? (
        <span className="muted small">
          A value is saved; leave blank to keep it.{' '}
          {onClear ? (
            <button type="button" className="link-button" onClick={onClear}>
              Remove it
            </button>
          ) : null}
        </span>
      ) : null}
      {hint}
      {err}
    </label>
  );
}
