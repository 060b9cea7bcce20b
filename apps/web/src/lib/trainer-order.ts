import { TrainerStatus } from "@graft/client";

/** Live trainers first, then the most recently heard from; OFFLINE rows sink to the bottom. */
export function byLiveness<T extends { status: string; lastHeartbeatAt: string | null; name: string }>(
  a: T,
  b: T,
): number {
  const offline = Number(a.status === TrainerStatus.Offline) - Number(b.status === TrainerStatus.Offline);
  if (offline !== 0) return offline;
  const heard = (b.lastHeartbeatAt ?? "").localeCompare(a.lastHeartbeatAt ?? "");
  return heard !== 0 ? heard : a.name.localeCompare(b.name);
}
