import type { Metadata } from "next";
import { safeNextPath } from "@/lib/safe-next.ts";
import { LoginForm } from "./login-form.tsx";

export const metadata: Metadata = { title: "Log in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  const { next } = await searchParams;
  return (
    <div className="login">
      <div className="login-card">
        <h1>Graft</h1>
        <p className="muted">Transfer-learning experiments, live.</p>
        <LoginForm next={safeNextPath(typeof next === "string" ? next : null)} />
      </div>
    </div>
  );
}
