/**
 * Message text for Slack: {{field}} templates over a row's mapped fields, and
 * the digest that summarises many rows in one message. Values are escaped the
 * way Slack asks (&, <, >), so warehouse data cannot turn into mentions such
 * as <!channel> or into links.
 */
import type { JsonValue } from '../../sdk/types';
import { TEXT_FIELD, type TSlackOptions } from './schema';

/** chat.postMessage refuses longer text (msg_too_long). */
export const MAX_TEXT = 40_000;

export function escapeSlack(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function display(value: JsonValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map((v) => display(v)).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function render(template: string, fields: Record<string, JsonValue>): string {
  return template.replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (_, name: string) => escapeSlack(display(fields[name])));
}

/** One row's text: the template, else the mapped `text` field, else "*field*: value" lines. */
export function rowText(fields: Record<string, JsonValue>, options: Pick<TSlackOptions, 'template'>): string {
  if (options.template) return render(options.template, fields);
  const text = fields[TEXT_FIELD];
  if (typeof text === 'string' && Object.keys(fields).length === 1) return escapeSlack(text);
  return Object.entries(fields)
    .map(([k, v]) => `*${escapeSlack(k)}*: ${escapeSlack(display(v))}`)
    .join('\n');
}

/** One line per row in a digest: the template, else "field: value · field: value". */
function digestLine(fields: Record<string, JsonValue>, options: Pick<TSlackOptions, 'template'>): string {
  if (options.template) return render(options.template, fields).replace(/\n+/g, ' ');
  return Object.entries(fields)
    .map(([k, v]) => `${escapeSlack(k)}: ${escapeSlack(display(v))}`)
    .join(' · ');
}

/** A digest of `rows`, kept under Slack's length limit by listing fewer rows. */
export function digestText(rows: Record<string, JsonValue>[], options: Pick<TSlackOptions, 'template' | 'digestTitle' | 'digestMaxRows'>): string {
  const title = render(options.digestTitle, { count: rows.length });
  const lines = rows.slice(0, options.digestMaxRows).map((f) => `• ${digestLine(f, options)}`);
  for (;;) {
    const rest = rows.length - lines.length;
    const text = [title, ...lines, ...(rest > 0 ? [`…and ${rest} more`] : [])].join('\n');
    if (text.length <= MAX_TEXT || lines.length === 0) return text.slice(0, MAX_TEXT);
    lines.pop();
  }
}
