"use client";
import { ModelDocument } from "@graft/client";
import Link from "next/link";
import { ErrorBox, Loading, PageHeader } from "@/components/states.tsx";
import { LineageMark, StatusBadge } from "@/components/status-badge.tsx";
import { useQuery } from "@/lib/client/use-query.ts";
import { formatBytes, formatCount, formatDate, formatPercent } from "@/lib/format.ts";

export function ModelView({ id }: { id: string }) {
  const { data, error, loading, refetch } = useQuery(ModelDocument, { id });
  const model = data?.model;
  if (!model) {
    return (
      <>
        <PageHeader title="Model" />
        {error ? (
          <ErrorBox error={error} retry={refetch} />
        ) : loading ? (
          <Loading label="Loading model…" />
        ) : (
          <ErrorBox error={`No model with id ${id}.`} />
        )}
      </>
    );
  }
  const fineTuned = model.kind === "FINE_TUNED";
  // Siblings include this model when the gateway says so; rank them all by the same metric.
  const ranked = [...model.siblings.filter((s) => s.id !== model.id), { ...model, children: undefined }]
    .map((s) => ({ id: s.id, name: s.name, bestMetric: s.bestMetric, verifiedLineage: s.verifiedLineage }))
    .sort((a, b) => (b.bestMetric ?? -1) - (a.bestMetric ?? -1));
  const weighted = model.layers.filter((l) => l.params > 0);
  const trained = weighted.filter((l) => l.trainable).length;

  return (
    <>
      <PageHeader
        title={
          <>
            {model.name} <span className="badge">{fineTuned ? "FINE-TUNED" : "BASE"}</span>{" "}
            <LineageMark verified={model.verifiedLineage} reason={model.lineageReason} />
          </>
        }
      >
        <Link className="button" href={`/new?baseModelId=${model.id}`}>
          Fine-tune this model
        </Link>
      </PageHeader>
      <div className="grid-2">
        <section className="panel" aria-labelledby="model-summary">
          <h2 id="model-summary">Summary</h2>
          <dl className="kv">
            <dt>Architecture</dt>
            <dd>{model.architecture}</dd>
            <dt>Task</dt>
            <dd>{model.task}</dd>
            <dt>Input shape</dt>
            <dd>[{model.inputShape.join(", ")}]</dd>
            <dt>Preprocessing</dt>
            <dd>
              {model.preprocessing.kind === "text"
                ? `${model.preprocessing.sequenceLength} token ids, padding at the ${model.preprocessing.padding?.toLowerCase()}, truncation at the ${model.preprocessing.truncation?.toLowerCase()}, tokenizer ${model.preprocessing.tokenizerSha256?.slice(0, 12)}…`
                : `range [${(model.preprocessing.inputRange ?? []).join(", ")}], ${model.preprocessing.channels} channel(s)`}
            </dd>
            <dt>Labels</dt>
            <dd>{model.labels.join(", ") || "—"}</dd>
            <dt>Feature layer</dt>
            <dd>{model.featureLayer ?? "—"}</dd>
            <dt>Parameters</dt>
            <dd>{formatCount(model.paramCount)}</dd>
            <dt>Size</dt>
            <dd>{formatBytes(model.sizeBytes)}</dd>
            <dt>Best val accuracy</dt>
            <dd>{formatPercent(model.bestMetric)}</dd>
            <dt>Created</dt>
            <dd>{formatDate(model.createdAt)}</dd>
          </dl>
        </section>
        <section className="panel" aria-labelledby="model-lineage">
          <h2 id="model-lineage">Lineage</h2>
          <dl className="kv">
            <dt>Parent</dt>
            <dd data-testid="model-parent">
              {model.parent ? <Link href={`/models/${model.parent.id}`}>{model.parent.name}</Link> : "— (base model)"}
            </dd>
            <dt>Produced by</dt>
            <dd>
              {model.producedBy ? (
                <>
                  <Link href={`/runs/${model.producedBy.id}`}>{model.producedBy.name ?? model.producedBy.id}</Link>{" "}
                  <StatusBadge status={model.producedBy.status} />{" "}
                  <span className="muted">
                    freeze {model.producedBy.hyperparameters.freezeStrategy}
                    {model.producedBy.hyperparameters.freezeLayers !== null
                      ? ` (${model.producedBy.hyperparameters.freezeLayers})`
                      : ""}
                  </span>
                </>
              ) : (
                "—"
              )}
            </dd>
            <dt>Children</dt>
            <dd>
              {model.children.length === 0
                ? "none"
                : model.children.map((c, i) => (
                    <span key={c.id}>
                      {i > 0 ? ", " : ""}
                      <Link href={`/models/${c.id}`}>{c.name}</Link>
                    </span>
                  ))}
            </dd>
            <dt>Lineage graph</dt>
            <dd>
              <Link href={`/models?focus=${model.id}`}>show in graph</Link>
            </dd>
          </dl>
          {fineTuned ? (
            <>
              <h2 style={{ marginTop: 18 }}>
                Siblings ranked by {model.producedBy?.experiment?.objectiveMetric ?? "valAccuracy"}
              </h2>
              <ol className="ranked" data-testid="siblings">
                {ranked.map((s) => (
                  <li key={s.id} aria-current={s.id === model.id ? "true" : undefined}>
                    {s.id === model.id ? (
                      <strong>{s.name} (this)</strong>
                    ) : (
                      <Link href={`/models/${s.id}`}>{s.name}</Link>
                    )}{" "}
                    <span className="muted">{formatPercent(s.bestMetric)}</span>{" "}
                    <LineageMark verified={s.verifiedLineage} />
                  </li>
                ))}
              </ol>
            </>
          ) : null}
        </section>
      </div>
      <section className="panel" aria-labelledby="model-layers">
        <h2 id="model-layers">
          Layers{" "}
          <span className="muted">
            {fineTuned ? `${trained} trained, ${weighted.length - trained} frozen` : `${model.layers.length} layers`}
          </span>
        </h2>
        <table className="table" data-testid="layers">
          <thead>
            <tr>
              <th className="num">#</th>
              <th>Name</th>
              <th>Class</th>
              <th className="num">Params</th>
              {fineTuned ? <th>State</th> : null}
              <th>Weight hash</th>
            </tr>
          </thead>
          <tbody>
            {model.layers.map((l) => (
              <tr key={l.index}>
                <td className="num">{l.index}</td>
                <td>
                  {l.name}
                  {l.name === model.featureLayer ? <span className="muted"> (feature layer)</span> : null}
                </td>
                <td>{l.className}</td>
                <td className="num">{formatCount(l.params)}</td>
                {fineTuned ? (
                  <td>
                    {l.params === 0 ? (
                      <span className="muted">no weights</span>
                    ) : (
                      <span className={`badge ${l.trainable ? "badge-running" : ""}`}>
                        {l.trainable ? "trained" : "frozen"}
                      </span>
                    )}
                  </td>
                ) : null}
                <td className="mono muted">{l.weightHash ? l.weightHash.slice(0, 16) : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}
