"use client";
import { CreateDatasetDocument, DatasetsDocument } from "@graft/client";
import { type FormEvent, useState } from "react";
import { Empty, ErrorBox, Loading, PageHeader } from "@/components/states.tsx";
import { gql } from "@/lib/client/graphql.ts";
import { useQuery } from "@/lib/client/use-query.ts";
import { formatCount, formatDate } from "@/lib/format.ts";
import { LeaderboardPanel } from "./leaderboard-panel.tsx";
import { uploadFile } from "./upload.ts";

export function DatasetsView() {
  const { data, error, loading, refetch } = useQuery(DatasetsDocument, {});
  return (
    <>
      <PageHeader title="Datasets" />
      <UploadForm onCreated={refetch} />
      {error ? <ErrorBox error={error} retry={refetch} /> : null}
      {!data ? (
        loading ? (
          <Loading label="Loading datasets…" />
        ) : null
      ) : data.datasets.length === 0 ? (
        <Empty>No datasets yet. Upload a zip of class folders or a CSV/JSONL of texts above.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="datasets">
            <thead>
              <tr>
                <th>Name</th>
                <th className="num">Version</th>
                <th>Task</th>
                <th className="num">Samples</th>
                <th>Classes (samples per class)</th>
                <th>Shape</th>
                <th>Source</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {data.datasets.map((d) => (
                <tr key={d.id}>
                  <td>
                    <strong>{d.name}</strong>
                    <div className="muted mono">{d.sha256 ? d.sha256.slice(0, 12) : ""}</div>
                  </td>
                  <td className="num">{d.version}</td>
                  <td>{d.task === "text-classification" ? "text" : "image"}</td>
                  <td className="num">{formatCount(d.sampleCount)}</td>
                  <td>
                    <div className="class-bars">
                      {d.labels.map((label, i) => (
                        <span key={label} className="class-chip" title={`${label}: ${d.classCounts[i] ?? 0} samples`}>
                          {label} <span className="muted">{d.classCounts[i] ?? 0}</span>
                        </span>
                      ))}
                    </div>
                    {d.classes.some((c) => c.sampleTexts.length > 0) ? <SampleTexts classes={d.classes} /> : null}
                  </td>
                  <td>{d.sampleShape.length > 0 ? d.sampleShape.join("×") : "—"}</td>
                  <td>{d.builtin ? "built-in" : "uploaded"}</td>
                  <td>{formatDate(d.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data && data.datasets.length > 0 ? <LeaderboardPanel datasets={data.datasets} /> : null}
    </>
  );
}

/** A text dataset's first few texts of each class, so a person sees what the labels mean. */
function SampleTexts({ classes }: { classes: { label: string; sampleTexts: string[] }[] }) {
  return (
    <details className="sample-texts">
      <summary>Sample texts</summary>
      {classes.map((c) => (
        <div key={c.label} data-testid="sample-texts">
          <strong>{c.label}</strong>
          <ul>
            {c.sampleTexts.map((text) => (
              <li key={text}>{text}</li>
            ))}
          </ul>
        </div>
      ))}
    </details>
  );
}

function UploadForm({ onCreated }: { onCreated: () => void }) {
  const [progress, setProgress] = useState<number | null>(null);
  const [message, setMessage] = useState<{ kind: "ok" | "error"; text: string } | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const formData = new FormData(form);
    const name = String(formData.get("datasetName") ?? "").trim();
    const file = formData.get("datasetZip");
    if (!name) return setMessage({ kind: "error", text: "Enter a dataset name" });
    if (!(file instanceof File) || file.size === 0)
      return setMessage({ kind: "error", text: "Choose a .zip, .csv or .jsonl file" });
    setMessage(null);
    setProgress(0);
    try {
      const upload = await uploadFile(file, setProgress);
      const { createDataset } = await gql(CreateDatasetDocument, { input: { name, uploadId: upload.uploadId } });
      setMessage({ kind: "ok", text: `Created dataset ${createDataset.name}` });
      form.reset();
      onCreated();
    } catch (e) {
      const text = e instanceof Error ? e.message : String(e);
      setMessage({ kind: "error", text });
    } finally {
      setProgress(null);
    }
  }

  return (
    <form className="panel" onSubmit={submit} aria-labelledby="upload-title">
      <h2 id="upload-title">Upload a dataset</h2>
      <p className="muted" style={{ marginTop: 0 }}>
        Images: a .zip with one folder per class, each holding PNG or JPEG images. Text: a UTF-8 .csv with{" "}
        <code>text</code> and <code>label</code> columns, or .jsonl with one <code>{'{"text": …, "label": …}'}</code>{" "}
        per line.
      </p>
      <div className="filters">
        <div className="field">
          <label htmlFor="datasetName">Name</label>
          <input id="datasetName" name="datasetName" maxLength={100} />
        </div>
        <div className="field">
          <label htmlFor="datasetZip">File</label>
          <input id="datasetZip" name="datasetZip" type="file" accept=".zip,application/zip,.csv,text/csv,.jsonl" />
        </div>
        <button className="button" type="submit" disabled={progress !== null}>
          {progress !== null ? "Uploading…" : "Upload"}
        </button>
        {progress !== null ? (
          <progress value={progress} max={1} aria-label="Upload progress">
            {Math.round(progress * 100)}%
          </progress>
        ) : null}
      </div>
      {message ? (
        <p
          className={message.kind === "error" ? "error-text" : "ok-text"}
          role={message.kind === "error" ? "alert" : "status"}
        >
          {message.text}
        </p>
      ) : null}
    </form>
  );
}
