/**
 * Salesforce sObjects for discover(): the global describe picks the objects,
 * each object's describe gives its fields with types, required marks
 * (!nillable && createable && !defaultedOnCreate) and unique marks (unique or
 * External ID fields, which can serve as upsert match keys).
 */
import { z } from 'zod';
import type { FieldDescriptor, FieldType, ObjectDescriptor } from '../../sdk/types';
import { checkName, sfRequest } from './api';
import type { SalesforceContext } from './auth';

/** Offered when the connection does not list its objects: the ones reverse ETL syncs most. */
const STANDARD = ['Account', 'Contact', 'Lead', 'Opportunity', 'Case', 'Campaign', 'CampaignMember', 'Task'];

const ZGlobal = z
  .object({
    sobjects: z.array(z.object({ name: z.string(), label: z.string().optional(), custom: z.boolean().default(false), createable: z.boolean().default(true) }).loose()),
  })
  .loose();

const ZDescribe = z
  .object({
    name: z.string(),
    label: z.string().optional(),
    fields: z.array(
      z
        .object({
          name: z.string(),
          label: z.string().optional(),
          type: z.string(),
          nillable: z.boolean().default(true),
          createable: z.boolean().default(false),
          updateable: z.boolean().default(false),
          defaultedOnCreate: z.boolean().default(false),
          unique: z.boolean().default(false),
          externalId: z.boolean().default(false),
          calculated: z.boolean().default(false),
          autoNumber: z.boolean().default(false),
        })
        .loose(),
    ),
  })
  .loose();
type TField = z.infer<typeof ZDescribe>['fields'][number];

function fieldType(t: string): FieldType {
  switch (t) {
    case 'boolean':
      return 'boolean';
    case 'int':
      return 'integer';
    case 'double':
    case 'currency':
    case 'percent':
      return 'number';
    case 'date':
      return 'date';
    case 'datetime':
      return 'timestamp';
    case 'multipicklist':
      return 'string_array';
    case 'address':
    case 'location':
      return 'json';
    default:
      return 'string';
  }
}

function toField(f: TField): FieldDescriptor {
  return {
    name: f.name,
    ...(f.label ? { label: f.label } : {}),
    type: fieldType(f.type),
    required: !f.nillable && f.createable && !f.defaultedOnCreate,
    unique: f.unique || f.externalId,
    readOnly: (!f.createable && !f.updateable) || f.calculated || f.autoNumber,
    ...(f.externalId ? { description: 'External ID: can be used to upsert' } : {}),
  };
}

export async function describeObject(ctx: SalesforceContext, name: string): Promise<ObjectDescriptor> {
  const res = await sfRequest(ctx, { method: 'GET', path: `/sobjects/${checkName(ctx, 'object', name)}/describe`, object: name });
  const d = ZDescribe.parse(res.body);
  const fields = d.fields.map(toField);
  return {
    name: d.name,
    label: d.label ?? d.name,
    fields,
    // Upsert needs an External ID field; without one the engine creates records
    // (guarded by intents) and finds them again with SOQL, which is consistent.
    upsert: d.fields.some((f) => f.externalId),
  };
}

export async function discoverObjects(ctx: SalesforceContext): Promise<ObjectDescriptor[]> {
  const global = ZGlobal.parse((await sfRequest(ctx, { method: 'GET', path: '/sobjects' })).body).sobjects;
  const available = new Set(global.filter((o) => o.createable).map((o) => o.name));
  const wanted = ctx.config.objects ?? [...STANDARD, ...global.filter((o) => o.custom && o.createable).map((o) => o.name)];
  const out: ObjectDescriptor[] = [];
  for (const name of wanted) if (available.has(name)) out.push(await describeObject(ctx, name));
  return out;
}
