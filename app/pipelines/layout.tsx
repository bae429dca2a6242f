import type { ReactNode } from 'react';
import { AppShell } from '../_components/app-shell';

export const dynamic = 'force-dynamic';

export default function PipelinesLayout({ children }: { children: ReactNode }) {
  return <AppShell>{children}</AppShell>;
}
