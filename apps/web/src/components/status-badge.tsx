export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge badge-${status.toLowerCase()}`} data-status={status}>
      {status}
    </span>
  );
}

/** `reason`: why, as the gateway found when it re-read the model (shown on hover). */
export function LineageMark({ verified, reason }: { verified: boolean | null; reason?: string | null }) {
  if (verified === null) return null;
  return verified ? (
    <span className="lineage-mark lineage-ok" title={reason ?? "Frozen layers hash identically to the parent's"}>
      ✓ verified
    </span>
  ) : (
    <span className="lineage-mark lineage-bad" title={reason ?? "Frozen layers differ from the parent's"}>
      ✗ unverified
    </span>
  );
}
