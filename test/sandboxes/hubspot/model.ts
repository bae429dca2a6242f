/**
 * HubSpot sandbox — data model: TEST INFRASTRUCTURE, not a HubSpot client.
 *
 * The objects, properties and validation rules the sandbox serves. Behaviour
 * that matters to the connector follows HubSpot's documentation (see README.md);
 * what is not modelled is listed there too.
 */

export type PropertyDef = {
  name: string;
  label: string;
  /** HubSpot property types: string | number | date | datetime | enumeration | bool */
  type: 'string' | 'number' | 'date' | 'datetime' | 'enumeration' | 'bool';
  fieldType: string;
  hasUniqueValue: boolean;
  readOnly: boolean;
  options?: string[];
};

export type ObjectDef = {
  /** API name used in paths: contacts, companies, or a custom object's name. */
  name: string;
  objectTypeId: string;
  /** Custom objects only: p_<name>, as the schemas API reports it. */
  fullyQualifiedName?: string;
  labels: { singular: string; plural: string };
  custom: boolean;
  requiredProperties: string[];
  primaryDisplayProperty: string;
  properties: PropertyDef[];
};

export type HubRecord = {
  id: string;
  objectTypeId: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  /** Search sees a record only from this moment on (HubSpot's search index lags writes). */
  indexedAt: number;
};

const str = (name: string, label: string, extra: Partial<PropertyDef> = {}): PropertyDef => ({
  name,
  label,
  type: 'string',
  fieldType: 'text',
  hasUniqueValue: false,
  readOnly: false,
  ...extra,
});

/** Read-only properties HubSpot maintains on every object. */
const systemProperties = (): PropertyDef[] => [
  str('hs_object_id', 'Record ID', { type: 'number', fieldType: 'number', readOnly: true, hasUniqueValue: true }),
  str('createdate', 'Create date', { type: 'datetime', fieldType: 'date', readOnly: true }),
  str('lastmodifieddate', 'Last modified date', { type: 'datetime', fieldType: 'date', readOnly: true }),
];

export function initialObjects(): ObjectDef[] {
  return [
    {
      name: 'contacts',
      objectTypeId: '0-1',
      labels: { singular: 'Contact', plural: 'Contacts' },
      custom: false,
      requiredProperties: [],
      primaryDisplayProperty: 'email',
      properties: [
        // HubSpot reports hasUniqueValue=false for email, yet documents it as the
        // contacts' idProperty for upsert and batch/read; the sandbox does the same.
        str('email', 'Email'),
        str('firstname', 'First name'),
        str('lastname', 'Last name'),
        str('phone', 'Phone number', { fieldType: 'phonenumber' }),
        str('company', 'Company name'),
        str('lifecyclestage', 'Lifecycle stage', {
          type: 'enumeration',
          fieldType: 'radio',
          options: ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer', 'evangelist', 'other'],
        }),
        str('num_orders', 'Number of orders', { type: 'number', fieldType: 'number' }),
        str('is_vip', 'VIP', { type: 'bool', fieldType: 'booleancheckbox', options: ['true', 'false'] }),
        str('signup_date', 'Signup date', { type: 'date', fieldType: 'date' }),
        str('interests', 'Interests', { type: 'enumeration', fieldType: 'checkbox', options: ['sports', 'music', 'travel', 'food'] }),
        ...systemProperties(),
      ],
    },
    {
      name: 'companies',
      objectTypeId: '0-2',
      labels: { singular: 'Company', plural: 'Companies' },
      custom: false,
      requiredProperties: [],
      primaryDisplayProperty: 'name',
      properties: [
        // Domain is "the primary unique identifier" of companies in HubSpot's guide;
        // the sandbox marks it unique so companies can be upserted by it (README).
        str('domain', 'Company domain name', { hasUniqueValue: true }),
        str('name', 'Name'),
        str('industry', 'Industry'),
        str('numberofemployees', 'Number of employees', { type: 'number', fieldType: 'number' }),
        ...systemProperties(),
      ],
    },
    {
      // A custom object WITHOUT a unique property: batch/upsert is impossible and
      // batch/create makes a new record on every call (duplicates on replay).
      name: 'loyalty_members',
      objectTypeId: '2-123',
      fullyQualifiedName: 'p_loyalty_members',
      labels: { singular: 'Loyalty member', plural: 'Loyalty members' },
      custom: true,
      requiredProperties: ['member_key'],
      primaryDisplayProperty: 'member_key',
      properties: [
        str('member_key', 'Member key'),
        str('member_email', 'Member email'),
        str('tier', 'Tier', { type: 'enumeration', fieldType: 'select', options: ['bronze', 'silver', 'gold'] }),
        str('points', 'Points', { type: 'number', fieldType: 'number' }),
        ...systemProperties(),
      ],
    },
  ];
}

/** The property an object can be upserted / batch-read by. */
export function isIdProperty(obj: ObjectDef, name: string): boolean {
  if (obj.name === 'contacts' && name === 'email') return true;
  return obj.properties.some((p) => p.name === name && p.hasUniqueValue && p.name !== 'hs_object_id');
}

export type PropError = { code: string; message: string; name: string };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** HubSpot stores every property value as a string. */
export function toHubSpotString(v: unknown): string | null {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

export type Validation = { unknown: string[]; errors: PropError[]; values: Record<string, string> };

/** Checks one input's properties against the object's definitions. */
export function validateProperties(obj: ObjectDef, props: Record<string, unknown>, opts: { creating: boolean }): Validation {
  const unknown: string[] = [];
  const errors: PropError[] = [];
  const values: Record<string, string> = {};
  for (const [name, raw] of Object.entries(props)) {
    const def = obj.properties.find((p) => p.name === name);
    if (!def) {
      unknown.push(name);
      continue;
    }
    if (def.readOnly) {
      errors.push({ code: 'READ_ONLY_VALUE', name, message: `"${name}" is a read only property; its value cannot be set.` });
      continue;
    }
    const value = toHubSpotString(raw);
    if (value === null) {
      errors.push({ code: 'INVALID_VALUE', name, message: `${JSON.stringify(raw)} is not a valid value for ${name}` });
      continue;
    }
    if (value !== '') {
      if (obj.name === 'contacts' && name === 'email' && !EMAIL.test(value)) {
        errors.push({ code: 'INVALID_EMAIL', name, message: `Email address ${value} is invalid` });
        continue;
      }
      if (def.type === 'enumeration' || def.type === 'bool') {
        const picked = def.fieldType === 'checkbox' ? value.split(';') : [value];
        const bad = picked.find((v) => !def.options?.includes(v));
        if (bad !== undefined) {
          errors.push({ code: 'INVALID_OPTION', name, message: `${bad} was not one of the allowed options: ${(def.options ?? []).join(', ')}` });
          continue;
        }
      }
      if (def.type === 'number' && !Number.isFinite(Number(value))) {
        errors.push({ code: 'INVALID_LONG', name, message: `${value} is not a valid number for ${name}` });
        continue;
      }
    }
    values[name] = obj.name === 'contacts' && name === 'email' ? value.toLowerCase() : value;
  }
  if (opts.creating) {
    for (const req of obj.requiredProperties) {
      if (!(req in values) || values[req] === '') {
        if (!errors.some((e) => e.name === req)) errors.push({ code: 'REQUIRED_PROPERTY', name: req, message: `Required property ${req} is missing` });
      }
    }
  }
  return { unknown, errors, values };
}

/** HubSpot's "Property values were not valid" message embeds the per-property errors as JSON. */
export function propertyErrorMessage(errors: PropError[]): string {
  return `Property values were not valid: ${JSON.stringify(errors.map((e) => ({ isValid: false, message: e.message, error: e.code, name: e.name })))}`;
}

export function propertyJson(p: PropertyDef) {
  return {
    name: p.name,
    label: p.label,
    type: p.type,
    fieldType: p.fieldType,
    groupName: 'information',
    hasUniqueValue: p.hasUniqueValue,
    calculated: false,
    hidden: false,
    archived: false,
    modificationMetadata: { archivable: !p.readOnly, readOnlyDefinition: p.readOnly, readOnlyValue: p.readOnly },
    options: (p.options ?? []).map((o, i) => ({ label: o, value: o, displayOrder: i, hidden: false })),
  };
}
