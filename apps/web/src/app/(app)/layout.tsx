import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { Nav } from "@/components/nav.tsx";
import { sessionApiKey } from "@/lib/server/session.ts";

export const dynamic = "force-dynamic";

export default async function AppLayout({ children }: { children: ReactNode }) {
  if (!(await sessionApiKey())) redirect("/login");
  return (
    <div className="shell">
      <Nav />
      <main className="main" id="main">
        {children}
      </main>
    </div>
  );
}
