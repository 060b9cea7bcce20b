export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge badge-${status.toLowerCase()}`} data-status={status}>
      {status}
    </span>
  );
}

export function LineageMark({ verified }: { verified: boolean | null }) {
  if (verified === null) return null;
  return verified ? (
    <span className="lineage-mark lineage-ok" title="Frozen layers hash identically to the parent's">
      ✓ verified
    </span>
  ) : (
    <span className="lineage-mark lineage-bad" title="Frozen layers differ from the parent's">
      ✗ unverified
    </span>
  );
}
