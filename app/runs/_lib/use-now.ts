'use client';
import { useEffect, useState } from 'react';

/**
 * The current time, ticking every `everyMs` only while `ticking` is true, so
 * the durations of active runs count up without re-rendering finished pages.
 */
export function useNow(ticking: boolean, everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    setNow(Date.now());
    if (!ticking) return;
    const id = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(id);
  }, [ticking, everyMs]);
  return now;
}
