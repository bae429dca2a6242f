'use client';
/**
 * Toasts: short messages that confirm an action or explain a refusal, in a
 * polite live region so screen readers announce them. Errors stay until
 * dismissed; other toasts leave after a few seconds.
 */
import Link from 'next/link';
import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';
import styles from './toast.module.css';

export type ToastTone = 'info' | 'ok' | 'error';
export type ToastInput = { tone?: ToastTone; title: string; body?: string; link?: { href: string; label: string } };
type Toast = ToastInput & { id: number; tone: ToastTone };

const ToastContext = createContext<((t: ToastInput) => void) | null>(null);

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);
  const dismiss = useCallback((id: number) => setToasts((ts) => ts.filter((t) => t.id !== id)), []);
  const push = useCallback(
    (t: ToastInput) => {
      const id = next.current++;
      const toast: Toast = { ...t, id, tone: t.tone ?? 'info' };
      // The same message twice in a row is shown once.
      setToasts((ts) => [...ts.filter((x) => x.title !== t.title || x.body !== t.body), toast].slice(-4));
      if (toast.tone !== 'error') setTimeout(() => dismiss(id), 5000);
    },
    [dismiss],
  );
  const value = useMemo(() => push, [push]);
  return (
    <ToastContext.Provider value={value}>
      {children}
      <div className={styles.stack} role="status" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className={`${styles.toast} ${styles[t.tone]}`} data-tone={t.tone}>
            <div className={styles.text}>
              <strong>{t.title}</strong>
              {t.body ? <span>{t.body}</span> : null}
              {t.link ? (
                <Link href={t.link.href} className={styles.link}>
                  {t.link.label}
                </Link>
              ) : null}
            </div>
            <button type="button" className={styles.close} aria-label="Dismiss" onClick={() => dismiss(t.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToast(): (t: ToastInput) => void {
  const ctx = useContext(ToastContext);
  if (!ctx) throw new Error('useToast needs a <ToastProvider> above it');
  return ctx;
}
