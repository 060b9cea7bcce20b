import type { RunQuery, RunStatus } from "@graft/client";
import Link from "next/link";
import { StatusBadge } from "@/components/status-badge.tsx";
import { formatDate } from "@/lib/format.ts";

export function StatusTimeline({ run, status }: { run: NonNullable<RunQuery["run"]>; status: RunStatus }) {
  return (
    <ol className="timeline" data-testid="status-timeline">
      <li>
        <strong>Queued</strong> <span className="muted">on pool {run.pool}</span>
        <div className="when">{formatDate(run.queuedAt)}</div>
      </li>
      {run.assignedAt ? (
        <li>
          <strong>Assigned</strong>
          <div className="when">{formatDate(run.assignedAt)}</div>
        </li>
      ) : null}
      {run.attempts.map((a) => (
        <li key={a.attempt}>
          <strong>Attempt {a.attempt}</strong> on{" "}
          {a.trainer ? <Link href="/trainers">{a.trainer.name}</Link> : <span className="muted">unknown trainer</span>}{" "}
          <span className="badge">{a.status}</span>
          {a.resumedFromEpoch > 0 ? <span className="muted"> · resumed after epoch {a.resumedFromEpoch}</span> : null}
          <div className="when">
            {formatDate(a.startedAt)}
            {a.endedAt ? ` → ${formatDate(a.endedAt)}` : " → now"}
          </div>
          {a.error ? <div className="error-text">{a.error}</div> : null}
        </li>
      ))}
      {run.finishedAt ? (
        <li>
          <strong>Finished</strong> <StatusBadge status={status} />
          <div className="when">{formatDate(run.finishedAt)}</div>
        </li>
      ) : null}
    </ol>
  );
}
