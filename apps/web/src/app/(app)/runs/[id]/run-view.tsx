"use client";
import {
  CancelRunDocument,
  ForkRunDocument,
  isTerminal,
  type ProgressFieldsFragment,
  RunDocument,
  RunEventKind,
  type RunEventsSubscription,
  type RunStatus,
} from "@graft/client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { MetricChart } from "@/components/metric-charts.tsx";
import { ErrorBox, LiveDot, Loading, PageHeader } from "@/components/states.tsx";
import { LineageMark, StatusBadge } from "@/components/status-badge.tsx";
import { gql } from "@/lib/client/graphql.ts";
import { useEvents } from "@/lib/client/use-events.ts";
import { useQuery } from "@/lib/client/use-query.ts";
import { formatDuration, formatMetric, formatParams, formatPercent } from "@/lib/format.ts";
import {
  type EpochMap,
  epochRow,
  FULL_EPOCHS_LIMIT,
  mergeQueryRows,
  rowsFromRun,
  SERIES_POINTS,
  sortedRows,
} from "./epochs.ts";
import { HyperparameterList } from "./hyperparameter-list.tsx";
import { RunProgressBar } from "./run-progress.tsx";
import { StatusTimeline } from "./status-timeline.tsx";
import { TransferGainPanel } from "./transfer-gain-panel.tsx";

// series() reduces loss and accuracy only; a long run draws these two from the stream alone.
const NOT_REDUCED = `Drawn for runs of up to ${FULL_EPOCHS_LIMIT} epochs, and live.`;

export function RunView({ id }: { id: string }) {
  // Reduced series first: how long the run is is only known from the answer.
  const [full, setFull] = useState(false);
  const { data, error, loading, refetch } = useQuery(RunDocument, { id, full, maxPoints: SERIES_POINTS });
  const [rows, setRows] = useState<EpochMap>(new Map());
  const [liveStatus, setLiveStatus] = useState<RunStatus | null>(null);
  const [liveProgress, setLiveProgress] = useState<ProgressFieldsFragment | null>(null);
  const [cancelError, setCancelError] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const run = data?.run ?? null;

  useEffect(() => {
    if (run && run.hyperparameters.epochs <= FULL_EPOCHS_LIMIT && !full) setFull(true);
  }, [run, full]);

  // The query's rows plus what the stream delivered after them: whichever arrived first, no epoch is lost.
  const queriedRows = useRef(0);
  const reducing = useRef(false);
  useEffect(() => {
    if (!run) return;
    const queried = rowsFromRun(run);
    queriedRows.current = queried.size;
    reducing.current = false;
    setRows((previous) => mergeQueryRows(queried, previous));
    setLiveStatus(null);
  }, [run]);

  const refetchSoon = useRef<ReturnType<typeof setTimeout> | null>(null);
  const scheduleRefetch = useCallback(() => {
    if (refetchSoon.current) clearTimeout(refetchSoon.current);
    refetchSoon.current = setTimeout(() => void refetch(), 300);
  }, [refetch]);

  const status = liveStatus ?? run?.status ?? null;
  const streaming = status === null || !isTerminal(status);
  const streamState = useEvents<RunEventsSubscription>(
    streaming ? `/api/events?runId=${encodeURIComponent(id)}` : null,
    (event) => {
      const e = event.runEvents;
      setLiveStatus(e.status);
      const epoch = e.epoch;
      if (epoch) {
        setRows((previous) => new Map(previous).set(epoch.epoch, epochRow(epoch)));
      }
      const progress = e.progress;
      if (progress)
        setLiveProgress((previous) => (previous && previous.updatedAt > progress.updatedAt ? previous : progress));
      if (e.kind === RunEventKind.Status) scheduleRefetch();
    },
    scheduleRefetch,
  );

  // A long run streams one row per epoch beside its reduced curve: past another budget's worth, reduce again.
  useEffect(() => {
    if (full || reducing.current || rows.size - queriedRows.current <= SERIES_POINTS) return;
    reducing.current = true;
    void refetch();
  }, [full, rows.size, refetch]);

  const chartRows = useMemo(() => sortedRows(rows), [rows]);
  const lastEpoch = chartRows.at(-1)?.epoch ?? 0;
  // The newer of the query's progress and the stream's; none once the run has ended.
  const queried = run?.progress ?? null;
  const progress =
    status && !isTerminal(status)
      ? liveProgress && (!queried || liveProgress.updatedAt >= queried.updatedAt)
        ? liveProgress
        : queried
      : null;

  // Control arms run as their own runs: poll until every one has ended.
  const controlsRunning = run?.controls.some((c) => !isTerminal(c.status)) ?? false;
  useEffect(() => {
    if (!controlsRunning) return;
    const timer = setInterval(() => void refetch(), 5000);
    return () => clearInterval(timer);
  }, [controlsRunning, refetch]);

  async function cancel() {
    setCancelling(true);
    setCancelError(null);
    try {
      const result = await gql(CancelRunDocument, { id });
      setLiveStatus(result.cancelRun.status);
      scheduleRefetch();
    } catch (e) {
      setCancelError(e instanceof Error ? e.message : String(e));
    } finally {
      setCancelling(false);
    }
  }

  if (!run) {
    return (
      <>
        <PageHeader title="Run" />
        {error ? (
          <ErrorBox error={error} retry={refetch} />
        ) : loading ? (
          <Loading label="Loading run…" />
        ) : (
          <ErrorBox error={`No run with id ${id}.`} />
        )}
      </>
    );
  }

  const hp = run.hyperparameters;
  return (
    <>
      <PageHeader
        title={
          <>
            {run.name ?? `Run ${run.id}`} <StatusBadge status={status ?? run.status} />
          </>
        }
      >
        {streaming ? <LiveDot state={streamState} /> : null}
        {status && !isTerminal(status) ? (
          <button type="button" className="button button-danger" onClick={cancel} disabled={cancelling}>
            {cancelling ? "Cancelling…" : "Cancel run"}
          </button>
        ) : null}
      </PageHeader>
      {cancelError ? <ErrorBox error={cancelError} /> : null}
      {error ? <ErrorBox error={error} retry={refetch} /> : null}
      {run.error ? (
        <div className="state state-error" role="alert" data-testid="run-error">
          <strong>{run.error.code}</strong>: {run.error.message}
        </div>
      ) : null}
      {progress ? <RunProgressBar progress={progress} /> : null}
      <div className="grid-4">
        <Summary label="Epochs" value={`${lastEpoch} / ${hp.epochs}`} testId="epoch-progress" />
        <Summary label="Best val accuracy" value={formatPercent(run.bestEpoch?.valAccuracy)} />
        <Summary label="Best val loss" value={formatMetric(run.bestEpoch?.valLoss)} />
        <Summary label="Duration" value={formatDuration(run.startedAt ?? run.queuedAt, run.finishedAt)} />
      </div>
      <section className="grid-2" aria-label="Metrics">
        <MetricChart
          id="loss"
          title="Loss"
          rows={chartRows}
          series={[
            { key: "loss", label: "loss", color: "#2563eb" },
            { key: "valLoss", label: "val loss", color: "#f97316" },
          ]}
        />
        <MetricChart
          id="accuracy"
          title="Accuracy"
          rows={chartRows}
          yDomain={[0, 1]}
          series={[
            { key: "accuracy", label: "accuracy", color: "#2563eb" },
            { key: "valAccuracy", label: "val accuracy", color: "#f97316" },
          ]}
        />
        <MetricChart
          id="learning-rate"
          title="Learning rate"
          rows={chartRows}
          yDomain={[0, "auto"]}
          series={[{ key: "learningRate", label: "learning rate", color: "#16a34a" }]}
          emptyText={full ? undefined : NOT_REDUCED}
        />
        <MetricChart
          id="throughput"
          title="Samples / s"
          rows={chartRows}
          yDomain={[0, "auto"]}
          series={[{ key: "samplesPerSecond", label: "samples/s", color: "#9333ea" }]}
          emptyText={full ? undefined : NOT_REDUCED}
        />
      </section>
      {run.controls.length > 0 ? <TransferGainPanel run={run} rows={chartRows} /> : null}
      <div className="grid-2" style={{ marginTop: 16 }}>
        <section className="panel" aria-labelledby="run-setup">
          <h2 id="run-setup">Setup</h2>
          <dl className="kv">
            <dt>Base model</dt>
            <dd>
              <Link href={`/models/${run.baseModel.id}`}>{run.baseModel.name}</Link>{" "}
              <span className="muted">{run.baseModel.architecture}</span>
            </dd>
            <dt>Dataset</dt>
            <dd>{run.dataset.name}</dd>
            <dt>Experiment</dt>
            <dd>{run.experiment?.name ?? "—"}</dd>
            <dt>Pool</dt>
            <dd>{run.pool}</dd>
            {run.controlOf ? (
              <>
                <dt>Control of</dt>
                <dd data-testid="control-of">
                  <Link href={`/runs/${run.controlOf.id}`}>{run.controlOf.name ?? run.controlOf.id}</Link>{" "}
                  <span className="muted">({run.controlKind === "SCRATCH" ? "scratch" : "linear probe"})</span>
                </dd>
              </>
            ) : null}
            {run.sweep && run.sweepTrial ? (
              <>
                <dt>Sweep</dt>
                <dd data-testid="run-sweep">
                  <Link href={`/sweeps/${run.sweep.id}`}>{run.sweep.name}</Link>{" "}
                  <span className="muted">
                    trial {run.sweepTrial.index + 1}: {formatParams(run.sweepTrial.params)}
                  </span>
                </dd>
              </>
            ) : null}
            {run.forkedFrom ? (
              <>
                <dt>Forked from</dt>
                <dd data-testid="forked-from">
                  <Link href={`/runs/${run.forkedFrom.run.id}`}>
                    {run.forkedFrom.run.name ?? run.forkedFrom.run.id}
                  </Link>{" "}
                  <span className="muted">after epoch {run.forkedFrom.epoch}</span>
                </dd>
              </>
            ) : null}
            {run.forks.length > 0 ? (
              <>
                <dt>Forks</dt>
                <dd data-testid="forks">
                  {run.forks.map((f, i) => (
                    <span key={f.id}>
                      {i > 0 ? ", " : ""}
                      <Link href={`/runs/${f.id}`}>{f.name ?? f.id}</Link>
                    </span>
                  ))}
                </dd>
              </>
            ) : null}
            <dt>Training path</dt>
            <dd>{run.trainingPath ?? "—"}</dd>
            <dt>Output model</dt>
            <dd data-testid="output-model">
              {run.outputModel ? (
                <>
                  <Link href={`/models/${run.outputModel.id}`}>{run.outputModel.name}</Link>{" "}
                  <LineageMark verified={run.outputModel.verifiedLineage} />{" "}
                  {run.outputModel.initialization === "SCRATCH" ? (
                    <span className="muted">re-initialized (not derived from the base's weights) </span>
                  ) : null}
                  <Link href={`/models?focus=${run.outputModel.id}`}>in lineage</Link>
                </>
              ) : (
                "—"
              )}
            </dd>
          </dl>
          <h2 style={{ marginTop: 18 }}>Hyperparameters</h2>
          <HyperparameterList hp={hp} />
          {run.forkableEpochs.length > 0 ? <ForkFromEpoch runId={run.id} epochs={run.forkableEpochs} /> : null}
        </section>
        <section className="panel" aria-labelledby="run-timeline">
          <h2 id="run-timeline">Status timeline</h2>
          <StatusTimeline run={run} status={status ?? run.status} />
        </section>
      </div>
    </>
  );
}

/**
 * Starts a fork from one of the run's kept epoch checkpoints with the run's own settings;
 * the fork's page (and the CLI's `graft runs fork`) is where anything else changes.
 */
function ForkFromEpoch({ runId, epochs }: { runId: string; epochs: readonly number[] }) {
  const router = useRouter();
  const [epoch, setEpoch] = useState(epochs.at(-1) ?? 1);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function fork() {
    setBusy(true);
    setError(null);
    try {
      const result = await gql(ForkRunDocument, { input: { runId, epoch } });
      router.push(`/runs/${result.forkRun.id}`);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setBusy(false);
    }
  }
  return (
    <div style={{ marginTop: 12 }} data-testid="fork-from-epoch">
      <label>
        Fork from epoch{" "}
        <select value={epoch} onChange={(e) => setEpoch(Number(e.target.value))}>
          {epochs.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
      </label>{" "}
      <button type="button" className="button" onClick={fork} disabled={busy}>
        {busy ? "Forking…" : "Fork from this epoch"}
      </button>
      {error ? <ErrorBox error={error} /> : null}
    </div>
  );
}

function Summary({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="stat">
      <div className="stat-label">{label}</div>
      <div className="stat-value" data-testid={testId}>
        {value}
      </div>
    </div>
  );
}
