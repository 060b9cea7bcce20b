/** Live trainers first, then the most recently heard from; OFFLINE rows sink to the bottom. */
export function byLiveness<T extends { status: string; lastHeartbeatAt: string | null; name: string }>(
  a: T,
  b: T,
): number {
  const offline = Number(a.status === "OFFLINE") - Number(b.status === "OFFLINE");
  if (offline !== 0) return offline;
  const heard = (b.lastHeartbeatAt ?? "").localeCompare(a.lastHeartbeatAt ?? "");
  return heard !== 0 ? heard : a.name.localeCompare(b.name);
}
