/**
 * The connector catalog the UI builds its forms from: registry metadata plus
 * the JSON Schemas of each connector's credentials, config and options
 * (z.toJSONSchema), and a flattened field list per schema so that the browser
 * renders a form without interpreting JSON Schema itself.
 */
import { z } from 'zod';
import { connectors } from '../../../connectors/registry';
import type { AnyConnector, JsonValue } from '../../../connectors/sdk/types';
import { ZJsonValue } from './validate';

export type FormFieldKind = 'text' | 'secret' | 'url' | 'number' | 'boolean' | 'select' | 'json';

export type FormField = {
  key: string;
  label: string;
  kind: FormFieldKind;
  required: boolean;
  integer?: boolean;
  min?: number;
  max?: number;
  options?: string[];
  default?: JsonValue;
  description?: string;
};

/** A schema's form: plain fields, or alternatives chosen by a discriminator (e.g. token vs OAuth). */
export type FormSpec = {
  fields: FormField[];
  variants?: { discriminator: string; options: { value: string; label: string; fields: FormField[] }[] };
};

// The subset of JSON Schema that z.toJSONSchema emits for connector schemas.
type JsonSchemaNode = {
  type?: string | string[];
  properties?: Record<string, JsonSchemaNode>;
  required?: string[];
  enum?: JsonValue[];
  const?: JsonValue;
  default?: JsonValue;
  description?: string;
  title?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  oneOf?: JsonSchemaNode[];
  anyOf?: JsonSchemaNode[];
};
const ZJsonSchemaNode: z.ZodType<JsonSchemaNode> = z.lazy(() =>
  z.object({
    type: z.union([z.string(), z.array(z.string())]).optional(),
    properties: z.record(z.string(), ZJsonSchemaNode).optional(),
    required: z.array(z.string()).optional(),
    enum: z.array(ZJsonValue).optional(),
    const: ZJsonValue.optional(),
    default: ZJsonValue.optional(),
    description: z.string().optional(),
    title: z.string().optional(),
    format: z.string().optional(),
    minimum: z.number().optional(),
    maximum: z.number().optional(),
    oneOf: z.array(ZJsonSchemaNode).optional(),
    anyOf: z.array(ZJsonSchemaNode).optional(),
  }),
);

/** Credentials that identify rather than authenticate: shown as text, not masked. */
const NOT_SECRET = /(^|[a-z])(username|user|clientId|email|accountId|type)$/i;

export function humanize(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase()
    .split(' ')
    .filter(Boolean)
    .map((w) => ({ url: 'URL', id: 'ID', ssl: 'SSL', ms: '(ms)', api: 'API', oauth: 'OAuth', ca: 'CA' })[w] ?? w);
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function fieldOf(key: string, node: JsonSchemaNode, required: boolean, secretSchema: boolean): FormField {
  const type = Array.isArray(node.type) ? node.type.find((t) => t !== 'null') : node.type;
  const base = {
    key,
    label: node.title ?? humanize(key),
    required: required && node.default === undefined,
    ...(node.default !== undefined ? { default: node.default } : {}),
    ...(node.description ? { description: node.description } : {}),
  };
  if (node.enum?.every((v): v is string => typeof v === 'string')) return { ...base, kind: 'select', options: node.enum };
  if (type === 'boolean') return { ...base, kind: 'boolean' };
  if (type === 'integer' || type === 'number') {
    return {
      ...base,
      kind: 'number',
      integer: type === 'integer',
      ...(node.minimum !== undefined && Math.abs(node.minimum) < 1e15 ? { min: node.minimum } : {}),
      ...(node.maximum !== undefined && Math.abs(node.maximum) < 1e15 ? { max: node.maximum } : {}),
    };
  }
  if (type === 'string') {
    if (secretSchema && !NOT_SECRET.test(key)) return { ...base, kind: 'secret' };
    return { ...base, kind: node.format === 'uri' ? 'url' : 'text' };
  }
  return { ...base, kind: 'json' };
}

function fieldsOf(node: JsonSchemaNode, secretSchema: boolean, skip?: string): FormField[] {
  const required = new Set(node.required ?? []);
  return Object.entries(node.properties ?? {})
    .filter(([k]) => k !== skip)
    .map(([k, v]) => fieldOf(k, v, required.has(k), secretSchema));
}

/** Flattens a connector schema into a form. */
export function formSpec(schema: z.ZodType, opts: { secret: boolean }): { jsonSchema: JsonValue; form: FormSpec } {
  const raw = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  const jsonSchema = ZJsonValue.parse(JSON.parse(JSON.stringify(raw)));
  const node = ZJsonSchemaNode.parse(jsonSchema);
  const alternatives = node.oneOf ?? node.anyOf;
  if (alternatives?.length) {
    // Discriminated union: the property that is a const in every alternative.
    const first = alternatives[0]!;
    const discriminator = Object.keys(first.properties ?? {}).find((k) => alternatives.every((a) => a.properties?.[k]?.const !== undefined));
    if (discriminator) {
      return {
        jsonSchema,
        form: {
          fields: [],
          variants: {
            discriminator,
            options: alternatives.map((a) => {
              const value = String(a.properties![discriminator]!.const);
              return { value, label: a.title ?? humanize(value), fields: fieldsOf(a, opts.secret, discriminator) };
            }),
          },
        },
      };
    }
  }
  return { jsonSchema, form: { fields: fieldsOf(node, opts.secret) } };
}

export type ConnectorInfo = ReturnType<typeof connectorInfo>;

export function connectorInfo(c: AnyConnector) {
  const credentials = formSpec(c.credentialsSchema, { secret: true });
  const config = formSpec(c.configSchema, { secret: false });
  const options = c.kind === 'destination' ? formSpec(c.optionsSchema, { secret: false }) : null;
  return {
    slug: c.slug,
    kind: c.kind,
    displayName: c.displayName,
    icon: c.icon,
    description: c.description ?? '',
    testOnly: c.testOnly ?? false,
    capabilities: c.kind === 'destination' ? { ...c.capabilities, modes: [...c.capabilities.modes] } : null,
    sourceCapabilities: c.kind === 'source' ? c.capabilities : null,
    schemas: { credentials: credentials.jsonSchema, config: config.jsonSchema, options: options?.jsonSchema ?? null },
    forms: { credentials: credentials.form, config: config.form, options: options?.form ?? null },
  };
}

let cached: ConnectorInfo[] | undefined;
/** The registry, described for forms (computed once per process). */
export function connectorCatalog(): ConnectorInfo[] {
  cached ??= connectors.map(connectorInfo);
  return cached;
}
