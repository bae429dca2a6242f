/**
 * MySQL/MariaDB types: names and protocol type codes → Backflow FieldType, and
 * the typeCast that makes every value JSON-safe, following the rules shared by
 * all warehouse sources (see ../postgres/types.ts):
 *
 *   BIGINT      number when exact, else a decimal string (mysql2 supportBigNumbers)
 *   DECIMAL     decimal string, exact
 *   TINYINT(1), BIT(1)  boolean (MySQL's BOOLEAN is TINYINT(1))
 *   DATETIME/TIMESTAMP  ISO 8601 UTC with "Z" (the session runs at +00:00;
 *               DATETIME has no zone and is taken to be UTC); zero dates → null
 *   DATE        "YYYY-MM-DD";  JSON: parsed;  binary strings: "\x…" hex text
 */
import type { TypeCast } from 'mysql2';
import type { FieldType } from '../../sdk/types';

/** From information_schema: DATA_TYPE ("tinyint") and COLUMN_TYPE ("tinyint(1) unsigned"). */
export function mysqlFieldType(dataType: string, columnType: string): FieldType {
  const t = dataType.toLowerCase();
  const full = columnType.toLowerCase();
  if ((t === 'tinyint' && /^tinyint\(1\)/.test(full)) || (t === 'bit' && /^bit\(1\)/.test(full)) || t === 'boolean' || t === 'bool') return 'boolean';
  if (/^(tinyint|smallint|mediumint|int|integer|bigint|year|bit)$/.test(t)) return 'integer';
  if (/^(decimal|numeric|float|double|real)$/.test(t)) return 'number';
  if (t === 'date') return 'date';
  if (t === 'datetime' || t === 'timestamp') return 'timestamp';
  if (t === 'json') return 'json';
  return 'string';
}

/** Protocol column type codes (include/mysql_com.h, enum_field_types). */
const TYPE_NAMES: Record<number, string> = {
  0: 'decimal',
  1: 'tinyint',
  2: 'smallint',
  3: 'int',
  4: 'float',
  5: 'double',
  6: 'null',
  7: 'timestamp',
  8: 'bigint',
  9: 'mediumint',
  10: 'date',
  11: 'time',
  12: 'datetime',
  13: 'year',
  14: 'date',
  15: 'varchar',
  16: 'bit',
  245: 'json',
  246: 'decimal',
  247: 'enum',
  248: 'set',
  249: 'tinyblob',
  250: 'mediumblob',
  251: 'longblob',
  252: 'blob',
  253: 'varchar',
  254: 'char',
  255: 'geometry',
};

const BINARY_CHARSET = 63;
const ENUM_FLAG = 256;
const SET_FLAG = 2048;

export type ColumnPacket = { name: string; columnType: number; columnLength: number; flags: number; characterSet: number };

/** The native type name and FieldType of a result column, from its metadata packet. */
export function describeColumn(c: ColumnPacket): { nativeType: string; type: FieldType } {
  let name = TYPE_NAMES[c.columnType] ?? `type ${c.columnType}`;
  if (c.flags & ENUM_FLAG) name = 'enum';
  else if (c.flags & SET_FLAG) name = 'set';
  else if (name === 'blob' && c.characterSet !== BINARY_CHARSET) name = 'text';
  else if ((name === 'varchar' || name === 'char') && c.characterSet === BINARY_CHARSET) name = name === 'varchar' ? 'varbinary' : 'binary';
  if ((name === 'tinyint' || name === 'bit') && c.columnLength === 1) name = `${name}(1)`;
  const base = name.replace(/\(1\)$/, '');
  return { nativeType: name, type: mysqlFieldType(base, name) };
}

/** "2024-02-29 13:45:56.789123" → "2024-02-29T13:45:56.789123Z"; zero dates → null. */
export function isoFromMySql(text: string | null): string | null {
  if (text === null || text.startsWith('0000-00-00')) return null;
  return `${text.replace(' ', 'T')}Z`;
}

function hex(buf: Buffer): string {
  return `\\x${buf.toString('hex')}`;
}

export const typeCast: TypeCast = (field, next) => {
  switch (field.type) {
    case 'TINY': {
      const v = next();
      return field.length === 1 && typeof v === 'number' ? v !== 0 : v;
    }
    case 'BIT': {
      const buf = field.buffer();
      if (buf === null) return null;
      if (field.length === 1) return buf[0] === 1;
      return buf.length <= 6 ? buf.readUIntBE(0, buf.length) : hex(buf);
    }
    case 'DATETIME':
    case 'DATETIME2':
    case 'TIMESTAMP':
    case 'TIMESTAMP2':
      return isoFromMySql(field.string());
    case 'DATE':
    case 'NEWDATE': {
      const s = field.string();
      return s === null || s.startsWith('0000-00-00') ? null : s;
    }
    default: {
      const v = next();
      return Buffer.isBuffer(v) ? hex(v) : v;
    }
  }
};
