/**
 * HubSpot objects and their properties: discover() for the UI, and the cached
 * per-object metadata write() and lookup() need (which property is unique, so
 * whether the object can be upserted and read back consistently).
 */
import { z } from 'zod';
import type { FieldDescriptor, FieldType, ObjectDescriptor } from '../../sdk/types';
import { hubspotRequest } from './api';
import type { HubSpotContext } from './auth';

const ZProperty = z
  .object({
    name: z.string(),
    label: z.string().optional(),
    type: z.string(),
    fieldType: z.string().optional(),
    description: z.string().optional(),
    hasUniqueValue: z.boolean().optional(),
    calculated: z.boolean().optional(),
    modificationMetadata: z.object({ readOnlyValue: z.boolean().optional() }).loose().optional(),
  })
  .loose();
type TProperty = z.infer<typeof ZProperty>;

const ZProperties = z.object({ results: z.array(ZProperty) }).loose();

const ZSchemas = z
  .object({
    results: z.array(
      z
        .object({
          objectTypeId: z.string(),
          name: z.string(),
          fullyQualifiedName: z.string().optional(),
          labels: z.object({ singular: z.string().optional(), plural: z.string().optional() }).loose().optional(),
          requiredProperties: z.array(z.string()).default([]),
          properties: z.array(ZProperty).default([]),
        })
        .loose(),
    ),
  })
  .loose();

/** Contacts are upserted and batch-read by email, which HubSpot does not flag hasUniqueValue. */
function isUnique(object: string, p: TProperty): boolean {
  if (p.name === 'hs_object_id') return false;
  if ((object === 'contacts' || object === '0-1') && p.name === 'email') return true;
  return p.hasUniqueValue === true;
}

function fieldType(p: TProperty): FieldType {
  switch (p.type) {
    case 'number':
      return 'number';
    case 'bool':
      return 'boolean';
    case 'date':
      return 'date';
    case 'datetime':
      return 'timestamp';
    case 'enumeration':
      // Multiple checkboxes hold several values, sent as "a;b;c".
      return p.fieldType === 'checkbox' ? 'string_array' : 'string';
    default:
      return 'string';
  }
}

function toField(object: string, p: TProperty, required: string[]): FieldDescriptor {
  const readOnly = p.modificationMetadata?.readOnlyValue === true || p.calculated === true;
  return {
    name: p.name,
    ...(p.label ? { label: p.label } : {}),
    type: fieldType(p),
    required: required.includes(p.name),
    unique: isUnique(object, p),
    readOnly,
    ...(p.description ? { description: p.description } : {}),
  };
}

function describeObject(name: string, label: string, props: TProperty[], required: string[], description?: string): ObjectDescriptor {
  const fields = props.map((p) => toField(name, p, required));
  const upsert = fields.some((f) => f.unique && !f.readOnly);
  return {
    name,
    label,
    ...(description ? { description } : {}),
    fields,
    // Without a unique property HubSpot can only create, which is not idempotent.
    upsert,
  };
}

export async function discoverObjects(ctx: HubSpotContext): Promise<ObjectDescriptor[]> {
  const out: ObjectDescriptor[] = [];
  for (const [name, label] of [
    ['contacts', 'Contacts'],
    ['companies', 'Companies'],
  ] as const) {
    const res = await hubspotRequest(ctx, { method: 'GET', path: `/crm/v3/properties/${name}`, object: name });
    const props = ZProperties.parse(res.body).results;
    out.push(describeObject(name, label, props, []));
  }
  const schemas = ZSchemas.parse((await hubspotRequest(ctx, { method: 'GET', path: '/crm/v3/schemas' })).body).results;
  for (const s of schemas) {
    const name = s.fullyQualifiedName ?? s.objectTypeId;
    const unique = s.properties.some((p) => isUnique(name, p));
    out.push(
      describeObject(
        name,
        s.labels?.plural ?? s.name,
        s.properties,
        s.requiredProperties,
        unique ? `Custom object ${s.objectTypeId}` : `Custom object ${s.objectTypeId} without a unique property: records are created, and found again through search (eventually consistent)`,
      ),
    );
  }
  return out;
}

export type ObjectMeta = {
  object: string;
  properties: Map<string, TProperty>;
  unique: Set<string>;
};

const TTL_MS = 5 * 60_000;
const cache = new Map<string, { at: number; meta: Promise<ObjectMeta> }>();

/** Properties of one object, cached for a few minutes per connection. */
export function objectMeta(ctx: HubSpotContext, object: string): Promise<ObjectMeta> {
  const key = `${ctx.config.baseUrl}\n${ctx.connectionId}\n${object}`;
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < TTL_MS) return hit.meta;
  const meta = (async () => {
    const res = await hubspotRequest(ctx, { method: 'GET', path: `/crm/v3/properties/${encodeURIComponent(object)}`, object });
    const props = ZProperties.parse(res.body).results;
    return {
      object,
      properties: new Map(props.map((p) => [p.name, p])),
      unique: new Set(props.filter((p) => isUnique(object, p)).map((p) => p.name)),
    };
  })();
  meta.catch(() => cache.delete(key));
  cache.set(key, { at: Date.now(), meta });
  return meta;
}

/** After HubSpot reports a schema change, read the properties again next time. */
export function forgetObjectMeta(ctx: HubSpotContext, object: string): void {
  cache.delete(`${ctx.config.baseUrl}\n${ctx.connectionId}\n${object}`);
}
