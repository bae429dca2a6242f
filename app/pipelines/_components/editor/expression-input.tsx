'use client';
/**
 * An expression field with live feedback from the shared parser and type
 * checker: the result type when it is valid, else the message with the exact
 * characters underlined.
 */
import { useId } from 'react';
import type { FieldType } from '../../../../connectors/sdk/types';
import type { TColumn } from '../../../../workflows/graph/columns';
import { liveCheck } from '../../_lib/expression';
import styles from './editor.module.css';

export function ExpressionInput({
  value,
  onChange,
  columns,
  expect,
  placeholder,
  label,
  disabled,
}: {
  value: string;
  onChange(v: string): void;
  columns: TColumn[] | null;
  expect?: FieldType;
  placeholder?: string;
  label: string;
  disabled?: boolean;
}) {
  const id = useId();
  const check = value.trim() === '' ? null : liveCheck(value, columns, expect);
  return (
    <div className={styles.expr}>
      <textarea
        aria-label={label}
        aria-invalid={check?.ok === false}
        aria-describedby={`${id}-check`}
        className={`${styles.exprInput} ${check?.ok === false ? styles.inputBad : ''}`}
        value={value}
        rows={Math.min(4, Math.max(1, Math.ceil(value.length / 44)))}
        spellCheck={false}
        placeholder={placeholder ?? 'e.g. lower(trim(email))'}
        disabled={disabled}
        onChange={(e) => onChange(e.target.value)}
      />
      <div id={`${id}-check`} className={styles.exprCheck} aria-live="polite">
        {check === null ? null : check.ok ? (
          <span className="ok-text">✓ {check.type}</span>
        ) : (
          <>
            <code className={styles.exprEcho}>
              {value.slice(0, check.start)}
              <mark>{value.slice(check.start, check.end) || ' '}</mark>
              {value.slice(check.end)}
            </code>
            <span className="error-text">
              {check.end > check.start ? `characters ${check.start + 1}–${check.end}: ` : `at character ${check.start + 1}: `}
              {check.message}
            </span>
          </>
        )}
      </div>
    </div>
  );
}
