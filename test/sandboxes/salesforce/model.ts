/**
 * Salesforce sandbox — data model: TEST INFRASTRUCTURE, not a Salesforce client.
 *
 * sObjects with describe metadata, and the save rules (field-level errors) that
 * sObject Collections and Bulk API 2.0 share. See README.md for the sources.
 */

export type FieldDef = {
  name: string;
  label: string;
  /** Salesforce field types: id, string, email, phone, picklist, multipicklist, boolean, int, double, currency, date, datetime, textarea, reference */
  type: string;
  length?: number;
  nillable: boolean;
  createable: boolean;
  updateable: boolean;
  defaultedOnCreate: boolean;
  unique: boolean;
  externalId: boolean;
  custom: boolean;
  picklist?: string[];
  /** Restricted picklists refuse values outside the list. */
  restricted?: boolean;
};

export type SObjectDef = { name: string; label: string; labelPlural: string; keyPrefix: string; custom: boolean; fields: FieldDef[] };

export type Primitive = string | number | boolean | null;

export type SfRecord = { Id: string; type: string; fields: Record<string, Primitive> };

export type SaveError = { statusCode: string; message: string; fields: string[] };

const field = (name: string, label: string, type: string, extra: Partial<FieldDef> = {}): FieldDef => ({
  name,
  label,
  type,
  nillable: true,
  createable: true,
  updateable: true,
  defaultedOnCreate: false,
  unique: false,
  externalId: false,
  custom: name.endsWith('__c'),
  ...(type === 'string' || type === 'email' || type === 'phone' || type === 'textarea' ? { length: 255 } : {}),
  ...extra,
});

const system = (): FieldDef[] => [
  field('Id', 'Record ID', 'id', { nillable: false, createable: false, updateable: false, defaultedOnCreate: true, length: 18 }),
  field('CreatedDate', 'Created Date', 'datetime', { nillable: false, createable: false, updateable: false, defaultedOnCreate: true }),
  field('LastModifiedDate', 'Last Modified Date', 'datetime', { nillable: false, createable: false, updateable: false, defaultedOnCreate: true }),
];

export function initialObjects(): SObjectDef[] {
  return [
    {
      name: 'Contact',
      label: 'Contact',
      labelPlural: 'Contacts',
      keyPrefix: '003',
      custom: false,
      fields: [
        ...system(),
        field('FirstName', 'First Name', 'string', { length: 40 }),
        field('LastName', 'Last Name', 'string', { length: 80, nillable: false }),
        field('Email', 'Email', 'email', { length: 80 }),
        field('Phone', 'Business Phone', 'phone', { length: 40 }),
        field('Title', 'Title', 'string', { length: 128 }),
        field('Birthdate', 'Birthdate', 'date'),
        field('Backflow_Id__c', 'Backflow ID', 'string', { externalId: true, unique: true }),
        field('Lifetime_Value__c', 'Lifetime Value', 'currency'),
        field('Is_VIP__c', 'VIP', 'boolean', { nillable: false, defaultedOnCreate: true }),
        field('Interests__c', 'Interests', 'multipicklist', { picklist: ['sports', 'music', 'travel'], restricted: true }),
      ],
    },
    {
      name: 'Account',
      label: 'Account',
      labelPlural: 'Accounts',
      keyPrefix: '001',
      custom: false,
      fields: [
        ...system(),
        field('Name', 'Account Name', 'string', { nillable: false }),
        field('Website', 'Website', 'url'),
        field('Industry', 'Industry', 'picklist', { picklist: ['Agriculture', 'Banking', 'Retail', 'Technology'] }),
        field('NumberOfEmployees', 'Employees', 'int'),
        field('External_Id__c', 'External ID', 'string', { externalId: true, unique: true }),
      ],
    },
    {
      name: 'Loyalty_Member__c',
      label: 'Loyalty Member',
      labelPlural: 'Loyalty Members',
      keyPrefix: 'a01',
      custom: true,
      fields: [
        ...system(),
        field('Name', 'Loyalty Member Name', 'string', { length: 80, defaultedOnCreate: true }),
        field('Member_Key__c', 'Member Key', 'string', { externalId: true, unique: true, length: 64 }),
        field('Tier__c', 'Tier', 'picklist', { picklist: ['Bronze', 'Silver', 'Gold'], restricted: true }),
        field('Points__c', 'Points', 'double'),
      ],
    },
  ];
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const NUMERIC = new Set(['int', 'double', 'currency', 'percent']);

export const isNumeric = (f: FieldDef) => NUMERIC.has(f.type);

/**
 * Field-level save rules: read-only fields, email format, restricted picklists,
 * length, required fields. Returns the errors Salesforce puts in a SaveResult.
 */
export function saveErrors(obj: SObjectDef, values: Record<string, Primitive>, creating: boolean): SaveError[] {
  const errors: SaveError[] = [];
  const locked = Object.keys(values).filter((k) => {
    const f = obj.fields.find((x) => x.name === k);
    return f && !(creating ? f.createable : f.updateable);
  });
  if (locked.length) {
    errors.push({
      statusCode: 'INVALID_FIELD_FOR_INSERT_UPDATE',
      message: `Unable to create/update fields: ${locked.join(', ')}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
      fields: locked,
    });
  }
  for (const [k, v] of Object.entries(values)) {
    const f = obj.fields.find((x) => x.name === k);
    if (!f || v === null || locked.includes(k)) continue;
    const s = String(v);
    if (f.type === 'email' && !EMAIL.test(s)) errors.push({ statusCode: 'INVALID_EMAIL_ADDRESS', message: `${f.label}: invalid email address: ${s}`, fields: [k] });
    if ((f.type === 'picklist' || f.type === 'multipicklist') && f.restricted) {
      const bad = (f.type === 'multipicklist' ? s.split(';') : [s]).find((x) => !f.picklist?.includes(x));
      if (bad !== undefined) errors.push({ statusCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', message: `${f.label}: bad value for restricted picklist field: ${bad}`, fields: [k] });
    }
    if (f.length !== undefined && typeof v === 'string' && v.length > f.length) {
      errors.push({ statusCode: 'STRING_TOO_LONG', message: `${f.label}: data value too large: ${v.slice(0, 20)}... (max length=${f.length})`, fields: [k] });
    }
  }
  const missing = obj.fields
    .filter((f) => !f.nillable && f.createable && !f.defaultedOnCreate)
    .filter((f) => (creating ? values[f.name] === undefined || values[f.name] === null || values[f.name] === '' : values[f.name] === null || values[f.name] === ''))
    .map((f) => f.name);
  if (missing.length) errors.push({ statusCode: 'REQUIRED_FIELD_MISSING', message: `Required fields are missing: [${missing.join(', ')}]`, fields: missing });
  return errors;
}

export function describeField(f: FieldDef) {
  return {
    name: f.name,
    label: f.label,
    type: f.type,
    length: f.length ?? 0,
    nillable: f.nillable,
    createable: f.createable,
    updateable: f.updateable,
    defaultedOnCreate: f.defaultedOnCreate,
    unique: f.unique,
    externalId: f.externalId,
    idLookup: f.externalId || f.name === 'Id',
    custom: f.custom,
    calculated: false,
    autoNumber: false,
    soapType: f.type === 'boolean' ? 'xsd:boolean' : isNumeric(f) ? 'xsd:double' : 'xsd:string',
    picklistValues: (f.picklist ?? []).map((p) => ({ value: p, label: p, active: true, defaultValue: false })),
    restrictedPicklist: f.restricted === true,
  };
}

/** RFC 4180 CSV: quoted fields, doubled quotes, newlines inside quotes. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cur);
      cur = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cur);
      rows.push(row);
      row = [];
      cur = '';
    } else cur += c;
  }
  if (cur !== '' || row.length) {
    row.push(cur);
    rows.push(row);
  }
  return rows;
}

export function toCsv(rows: string[][]): string {
  return rows.map((r) => r.map((v) => `"${v.replace(/"/g, '""')}"`).join(',')).join('\n') + '\n';
}
