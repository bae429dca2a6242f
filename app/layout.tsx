import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { Providers } from './_components/trpc';
import './globals.css';

export const metadata: Metadata = {
  title: 'Backflow',
  description: 'Reverse ETL: sync warehouse data to the tools your teams use.',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
