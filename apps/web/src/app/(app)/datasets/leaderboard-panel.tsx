"use client";
import { LeaderboardDocument } from "@graft/client";
import Link from "next/link";
import { useState } from "react";
import { ErrorBox, Loading } from "@/components/states.tsx";
import { useQuery } from "@/lib/client/use-query.ts";
import { formatMetric, formatPercent } from "@/lib/format.ts";

/** Which base and strategy transfer best onto the chosen dataset, from every succeeded run. */
export function LeaderboardPanel({ datasets }: { datasets: { id: string; name: string }[] }) {
  const [datasetId, setDatasetId] = useState(datasets[0]?.id ?? "");
  const { data, error, loading, refetch } = useQuery(LeaderboardDocument, { datasetId }, { skip: !datasetId });
  return (
    <section className="panel" style={{ marginTop: 16 }} aria-labelledby="leaderboard" data-testid="leaderboard">
      <h2 id="leaderboard">Leaderboard</h2>
      <label>
        Dataset{" "}
        <select value={datasetId} onChange={(e) => setDatasetId(e.target.value)} aria-label="Leaderboard dataset">
          {datasets.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </select>
      </label>
      {error ? <ErrorBox error={error} retry={refetch} /> : null}
      {!data ? (
        loading ? (
          <Loading label="Loading leaderboard…" />
        ) : null
      ) : data.leaderboard.length === 0 ? (
        <p className="muted">No succeeded run on this dataset yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th className="num">#</th>
                <th>Base</th>
                <th>Strategy</th>
                <th>Cut</th>
                <th className="num">Runs</th>
                <th className="num">Mean val acc</th>
                <th className="num">Std</th>
                <th className="num">Best</th>
                <th className="num">Mean s</th>
              </tr>
            </thead>
            <tbody>
              {data.leaderboard.map((e) => (
                <tr key={`${e.baseModel.id}-${e.strategy}-${e.featureLayer}`} data-rank={e.rank}>
                  <td className="num">{e.rank}</td>
                  <td>
                    <Link href={`/models/${e.baseModel.id}`}>{e.baseModel.name}</Link>
                    {e.baseDepth > 0 ? (
                      <div className="muted">
                        fine-tuned from {e.rootModel.name} (depth {e.baseDepth})
                      </div>
                    ) : null}
                  </td>
                  <td>{e.strategy.toLowerCase().replaceAll("_", " ")}</td>
                  <td>{e.featureLayer ?? "—"}</td>
                  <td className="num">{e.runs}</td>
                  <td className="num">{formatPercent(e.meanAccuracy)}</td>
                  <td className="num">{formatPercent(e.stdAccuracy)}</td>
                  <td className="num">{formatPercent(e.bestAccuracy)}</td>
                  <td className="num">{formatMetric(e.meanSeconds, 1)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
