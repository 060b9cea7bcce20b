import { RateLimiterMemory } from "rate-limiter-flexible";

/**
 * Failed logins, counted per client address and over all clients. The per-address count is
 * the fair one; but the address comes from X-Forwarded-For, which a client can forge when
 * no proxy in front sets it, so the overall count is what really bounds guessing. Successes
 * cost nothing. Per dashboard process.
 */
const WINDOW_SECONDS = 60;
const perAddress = new RateLimiterMemory({ keyPrefix: "login-address", points: 10, duration: WINDOW_SECONDS });
const overall = new RateLimiterMemory({ keyPrefix: "login-all", points: 50, duration: WINDOW_SECONDS });
const ALL = "all";

export function clientAddress(request: Request): string {
  return request.headers.get("x-forwarded-for")?.split(",")[0]?.trim() || "unknown";
}

/** Seconds until `address` may try again, or 0 when it may now. */
export async function loginBlockedFor(address: string): Promise<number> {
  const [mine, all] = await Promise.all([perAddress.get(address), overall.get(ALL)]);
  const blocked = [mine, all].filter((state) => state !== null && state.remainingPoints <= 0);
  if (blocked.length === 0) return 0;
  return Math.max(1, ...blocked.map((state) => Math.ceil((state?.msBeforeNext ?? 0) / 1000)));
}

export async function loginFailed(address: string): Promise<void> {
  await Promise.all([perAddress.penalty(address, 1), overall.penalty(ALL, 1)]);
}
