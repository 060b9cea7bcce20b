import type { Metadata } from "next";
import { connection } from "next/server";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Graft", template: "%s · Graft" },
  description: "Transfer-learning experiments: runs, live metrics, lineage and trainers.",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Every page renders per request: Next.js puts the Content-Security-Policy nonce (made by
  // src/proxy.ts for this request) on its scripts only while rendering.
  await connection();
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
