"use client";
import { type FormEvent, useState } from "react";

function safeNext(): string {
  const next = new URLSearchParams(window.location.search).get("next");
  // Only same-site paths, so the login page cannot be used as an open redirect.
  return next?.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export function LoginForm() {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const apiKey = String(new FormData(event.currentTarget).get("apiKey") ?? "");
    setBusy(true);
    setError(null);
    try {
      const res = await fetch("/api/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ apiKey }),
      });
      const body = (await res.json()) as { error?: string };
      if (!res.ok) {
        setError(body.error ?? "Login failed");
        return;
      }
      window.location.assign(safeNext());
    } catch {
      setError("The dashboard server is unreachable");
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-describedby={error ? "login-error" : undefined}>
      <div className={`field${error ? " field-error" : ""}`}>
        <label htmlFor="apiKey">API key</label>
        <input id="apiKey" name="apiKey" type="password" autoComplete="off" required />
        <span className="field-hint">
          In local mode, <code>npm start</code> prints the key on its <code>API key:</code> line.
        </span>
        {error ? (
          <span className="field-message" id="login-error" role="alert">
            {error}
          </span>
        ) : null}
      </div>
      <button className="button" type="submit" disabled={busy}>
        {busy ? "Checking…" : "Log in"}
      </button>
    </form>
  );
}
