"use client";
import { DrainTrainerDocument, type TrainerEventsSubscription, TrainerStatus, TrainersDocument } from "@graft/client";
import Link from "next/link";
import { useEffect, useState } from "react";
import { Empty, ErrorBox, LiveDot, Loading, PageHeader } from "@/components/states.tsx";
import { StatusBadge } from "@/components/status-badge.tsx";
import { gql } from "@/lib/client/graphql.ts";
import { useEvents } from "@/lib/client/use-events.ts";
import { useQuery } from "@/lib/client/use-query.ts";
import { formatAge, formatBytes } from "@/lib/format.ts";
import { byLiveness } from "@/lib/trainer-order.ts";

function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

export function TrainersView() {
  const { data, error, loading, refetch, setData } = useQuery(TrainersDocument, {});
  const [drainError, setDrainError] = useState<string | null>(null);
  const now = useNow(1000);

  const stream = useEvents<TrainerEventsSubscription>(
    "/api/events?topic=trainers",
    ({ trainerEvents: { trainer } }) => {
      setData((previous) => {
        if (!previous) return previous;
        const known = previous.trainers.some((t) => t.id === trainer.id);
        return {
          trainers: known
            ? previous.trainers.map((t) => (t.id === trainer.id ? trainer : t))
            : [...previous.trainers, trainer],
        };
      });
    },
    refetch,
  );

  async function drain(id: string) {
    setDrainError(null);
    try {
      const { drainTrainer } = await gql(DrainTrainerDocument, { id });
      setData((previous) =>
        previous ? { trainers: previous.trainers.map((t) => (t.id === id ? drainTrainer : t)) } : previous,
      );
    } catch (e) {
      setDrainError(e instanceof Error ? e.message : String(e));
    }
  }

  return (
    <>
      <PageHeader title="Trainers">
        <LiveDot state={stream} />
      </PageHeader>
      {drainError ? <ErrorBox error={drainError} /> : null}
      {error ? <ErrorBox error={error} retry={refetch} /> : null}
      {!data ? (
        loading ? (
          <Loading label="Loading trainers…" />
        ) : null
      ) : data.trainers.length === 0 ? (
        <Empty>
          No trainer has joined yet. Start one with <code>GRAFT_JOIN_TOKEN=… npm run trainer</code>.
        </Empty>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="trainers">
            <thead>
              <tr>
                <th>Name</th>
                <th>Status</th>
                <th>Pool</th>
                <th>Backend</th>
                <th>Devices</th>
                <th>Host</th>
                <th className="num">Slots</th>
                <th>Current runs</th>
                <th>Last heartbeat</th>
                <th>
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {[...data.trainers].sort(byLiveness).map((t) => (
                <tr key={t.id} data-trainer-id={t.id} data-trainer-name={t.name} data-status={t.status}>
                  <td>
                    <strong>{t.name}</strong>
                    {t.labels.length ? <div className="muted">{t.labels.join(", ")}</div> : null}
                  </td>
                  <td>
                    <StatusBadge status={t.status} />
                  </td>
                  <td>{t.pool}</td>
                  <td>{t.backend}</td>
                  <td>{t.devices.join(", ") || "—"}</td>
                  <td>
                    {t.host}
                    <div className="muted">
                      {t.cpuCount} CPU · {formatBytes(t.memoryBytes)}
                    </div>
                  </td>
                  <td className="num">
                    {t.currentRuns.length}/{t.maxConcurrentRuns}
                  </td>
                  <td>
                    {t.currentRuns.length === 0
                      ? "—"
                      : t.currentRuns.map((r) => (
                          <div key={r.id}>
                            <Link href={`/runs/${r.id}`}>{r.name ?? r.id}</Link>
                          </div>
                        ))}
                  </td>
                  <td data-testid="heartbeat-age">{formatAge(t.lastHeartbeatAt, now)}</td>
                  <td>
                    {t.status === TrainerStatus.Idle || t.status === TrainerStatus.Busy ? (
                      <button
                        type="button"
                        className="button button-secondary button-small"
                        onClick={() => drain(t.id)}
                        aria-label={`Drain ${t.name}`}
                      >
                        Drain
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
