/**
 * What this gateway replica saw of each trainer on the wire, on its own monotonic clock.
 *
 * Liveness is judged from here, not from `trainers.last_heartbeat_at`: a heartbeat the
 * database could not store (PostgreSQL restarting) still proves the trainer alive. And the
 * view only counts silence the replica could have heard: while its own NATS connection is
 * down it judges nobody, and after it reconnects every trainer gets one full timeout to be
 * heard again, since trainers reconnect on their own schedule.
 */
export class WireView {
  private readonly seen = new Map<string, { seq: number; at: number; heardAt: number }>();
  /** Silence before this moment does not count (replica start, last reconnect). */
  private listeningSince: number;
  private connected = true;

  constructor(
    private readonly offlineAfterMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.listeningSince = now();
  }

  /**
   * Records a heartbeat; false for a duplicate or one that arrived after a newer one.
   * `seq` counts per trainer process, so a lower seq with a later `at` is a restarted
   * process, not a reordered beat.
   */
  observe(trainerId: string, seq: number, atIso: string): boolean {
    const at = Date.parse(atIso);
    const last = this.seen.get(trainerId);
    if (last && seq <= last.seq && at <= last.at) return false;
    this.seen.set(trainerId, { seq, at, heardAt: this.now() });
    return true;
  }

  /** True when a newer heartbeat than this one was already observed (so it must not overwrite state). */
  isSuperseded(trainerId: string, seq: number, atIso: string): boolean {
    const last = this.seen.get(trainerId);
    return last !== undefined && seq < last.seq && Date.parse(atIso) <= last.at;
  }

  disconnected(): void {
    this.connected = false;
  }

  reconnected(): void {
    this.connected = true;
    this.listeningSince = this.now();
  }

  /** The ids among `trainerIds` silent for longer than the timeout; none while disconnected. */
  silent(trainerIds: readonly string[]): string[] {
    if (!this.connected) return [];
    const now = this.now();
    return trainerIds.filter((id) => {
      const heardAt = Math.max(this.seen.get(id)?.heardAt ?? Number.NEGATIVE_INFINITY, this.listeningSince);
      return now - heardAt > this.offlineAfterMs;
    });
  }
}
