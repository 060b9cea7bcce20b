"use client";
import { type FormEvent, useEffect, useState } from "react";

/** `next` is a same-site path, already checked on the server (safeNextPath). */
export function LoginForm({ next }: { next: string }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [csrfToken, setCsrfToken] = useState<string | null>(null);

  // The form's CSRF token, bound to a cookie the same answer sets.
  useEffect(() => {
    fetch("/api/login", { cache: "no-store" })
      .then((res) => res.json() as Promise<{ csrfToken?: string }>)
      .then((body) => setCsrfToken(body.csrfToken ?? null))
      .catch(() => setError("The dashboard server is unreachable"));
  }, []);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const apiKey = String(new FormData(event.currentTarget).get("apiKey") ?? "");
    setBusy(true);
    setError(null);
    try {
      const res = await fetch("/api/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ apiKey, csrfToken }),
      });
      const body = (await res.json()) as { error?: string };
      if (!res.ok) {
        setError(body.error ?? "Login failed");
        return;
      }
      window.location.assign(next);
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
          In local mode, <code>npm start</code> prints the key once, when it makes it, and keeps it in{" "}
          <code>GRAFT_HOME/local-api-key</code>.
        </span>
        {error ? (
          <span className="field-message" id="login-error" role="alert">
            {error}
          </span>
        ) : null}
      </div>
      <button className="button" type="submit" disabled={busy || csrfToken === null}>
        {busy ? "Checking…" : "Log in"}
      </button>
    </form>
  );
}
