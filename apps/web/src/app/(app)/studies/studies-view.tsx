"use client";
import { StudiesDocument } from "@graft/client";
import Link from "next/link";
import { Empty, ErrorBox, Loading, PageHeader } from "@/components/states.tsx";
import { StatusBadge } from "@/components/status-badge.tsx";
import { useQuery } from "@/lib/client/use-query.ts";
import { formatDate } from "@/lib/format.ts";

const pct = (f: number) => `${Number((f * 100).toPrecision(3))}%`;

/** The project's data-efficiency studies, newest first. */
export function StudiesView() {
  const { data, error, loading, refetch } = useQuery(StudiesDocument, {});
  return (
    <>
      <PageHeader title="Studies" />
      {error ? <ErrorBox error={error} retry={refetch} /> : null}
      {!data ? (
        loading ? (
          <Loading label="Loading studies…" />
        ) : null
      ) : data.studies.length === 0 ? (
        <Empty>
          No study yet. Start one with <code>graft study start --name … --base … --dataset …</code>.
        </Empty>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="studies">
            <thead>
              <tr>
                <th>Name</th>
                <th>Status</th>
                <th>Dataset</th>
                <th>Bases</th>
                <th>Fractions</th>
                <th>Arms</th>
                <th className="num">Seeds</th>
                <th>Started</th>
              </tr>
            </thead>
            <tbody>
              {data.studies.map((s) => (
                <tr key={s.id} data-study-id={s.id}>
                  <td>
                    <Link href={`/studies/${s.id}`}>{s.name}</Link>
                  </td>
                  <td>
                    <StatusBadge status={s.status} />
                  </td>
                  <td>{s.dataset.name}</td>
                  <td>{s.baseModels.map((m) => m.name).join(", ")}</td>
                  <td>{s.fractions.map(pct).join(", ")}</td>
                  <td>{s.arms.map((a) => a.toLowerCase().replaceAll("_", " ")).join(", ")}</td>
                  <td className="num">{s.seeds.length}</td>
                  <td>{formatDate(String(s.createdAt))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
