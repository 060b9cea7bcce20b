import { GraftApiError, ViewerDocument, type ViewerQuery } from "@graft/client";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { Nav } from "@/components/nav.tsx";
import { safeNextPath } from "@/lib/safe-next.ts";
import { forwardedFor, gatewayFor } from "@/lib/server/gateway.ts";
import { sessionToken } from "@/lib/server/session.ts";

export const dynamic = "force-dynamic";

/** Every page below needs a live session: one the gateway still accepts, not just a cookie. */
export default async function AppLayout({ children }: { children: ReactNode }) {
  const login = `/login?next=${encodeURIComponent(safeNextPath((await headers()).get("x-graft-path")))}`;
  const token = await sessionToken();
  if (!token) redirect(login);
  let viewer: ViewerQuery["viewer"] | null = null;
  let expired = false;
  try {
    viewer = (await gatewayFor(token, await forwardedFor()).request(ViewerDocument)).viewer;
  } catch (error) {
    // An unreachable gateway is reported by each page; an ended session goes back to the login.
    if (error instanceof GraftApiError && error.code === "UNAUTHENTICATED") expired = true;
  }
  if (expired) redirect(login);
  return (
    <div className="shell">
      <Nav viewer={viewer} />
      <main className="main" id="main">
        {children}
      </main>
    </div>
  );
}
