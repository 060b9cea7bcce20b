"use client";
import {
  GraftApiError,
  MetricName,
  ModelFineTuneOptionsDocument,
  NewFineTuneOptionsDocument,
  Optimizer,
  StartFineTuneDocument,
} from "@graft/client";
import { useRouter, useSearchParams } from "next/navigation";
import { type FormEvent, type ReactNode, useEffect, useState } from "react";
import { ErrorBox, Loading, PageHeader } from "@/components/states.tsx";
import { gql } from "@/lib/client/graphql.ts";
import { useQuery } from "@/lib/client/use-query.ts";
import {
  controlForField,
  DEFAULT_VALUES,
  FormInputError,
  type FormValues,
  toStartFineTuneInput,
} from "./form-input.ts";

type FieldErrors = Partial<Record<keyof FormValues, string>>;

export function FineTuneForm() {
  const params = useSearchParams();
  const router = useRouter();
  const options = useQuery(NewFineTuneOptionsDocument, {});
  const [values, setValues] = useState<FormValues>(() => ({
    ...DEFAULT_VALUES,
    baseModelId: params.get("baseModelId") ?? "",
    datasetId: params.get("datasetId") ?? "",
    experimentId: params.get("experimentId") ?? "",
  }));
  // Where the chosen base can be cut, and what a fine-tune of it uses by default.
  const baseOptions = useQuery(
    ModelFineTuneOptionsDocument,
    { id: values.baseModelId },
    { skip: values.baseModelId === "" },
  );
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);

  // Preselect the first choices once options arrive, so the form is submittable at once.
  useEffect(() => {
    const data = options.data;
    if (!data) return;
    setValues((v) => {
      const baseModelId = v.baseModelId || data.models.edges[0]?.node.id || "";
      const task = data.models.edges.find((e) => e.node.id === baseModelId)?.node.task;
      const fits = data.datasets.filter((d) => d.task === task);
      return { ...v, baseModelId, datasetId: v.datasetId || fits[0]?.id || "" };
    });
  }, [options.data]);

  // A base reads one kind of data: keep the dataset choice to the base's task.
  function chooseBase(baseModelId: string) {
    const data = options.data;
    const task = data?.models.edges.find((e) => e.node.id === baseModelId)?.node.task;
    const fits = data?.datasets.filter((d) => d.task === task) ?? [];
    setValues((v) => ({
      ...v,
      baseModelId,
      // Another base has other layers: its own default cut.
      featureLayer: "",
      datasetId: fits.some((d) => d.id === v.datasetId) ? v.datasetId : (fits[0]?.id ?? ""),
    }));
    setErrors((e) => ({ ...e, baseModelId: undefined, datasetId: undefined }));
  }

  function set<K extends keyof FormValues>(key: K, value: FormValues[K]) {
    setValues((v) => ({ ...v, [key]: value }));
    setErrors((e) => ({ ...e, [key]: undefined }));
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setErrors({});
    setFormError(null);
    let input: ReturnType<typeof toStartFineTuneInput>;
    try {
      input = toStartFineTuneInput(values);
    } catch (e) {
      if (e instanceof FormInputError) {
        setErrors({ [e.control]: e.message });
        focusControl(e.control);
        return;
      }
      throw e;
    }
    setSubmitting(true);
    try {
      const result = await gql(StartFineTuneDocument, { input });
      router.push(`/runs/${result.startFineTune.id}`);
    } catch (e) {
      setSubmitting(false);
      if (!(e instanceof GraftApiError)) {
        setFormError(String(e));
        return;
      }
      const next: FieldErrors = {};
      const unplaced: string[] = [];
      for (const err of e.errors) {
        if (err.extensions?.code !== "BAD_USER_INPUT") {
          unplaced.push(err.message);
          continue;
        }
        // Every zod issue comes back in `issues`; `field` alone names the first.
        const issues = Array.isArray(err.extensions.issues)
          ? (err.extensions.issues as { field?: unknown; message?: unknown }[])
          : [{ field: err.extensions.field, message: err.message }];
        for (const issue of issues) {
          const message = String(issue.message ?? err.message);
          const control = controlForField(typeof issue.field === "string" ? issue.field : undefined);
          if (control && !next[control]) next[control] = message;
          else if (!control) unplaced.push(message);
        }
      }
      setErrors(next);
      if (unplaced.length) setFormError(unplaced.join("; "));
      const first = Object.keys(next)[0] as keyof FormValues | undefined;
      if (first) focusControl(first);
    }
  }

  if (!options.data) {
    return (
      <>
        <PageHeader title="New fine-tune" />
        {options.error ? <ErrorBox error={options.error} retry={options.refetch} /> : <Loading />}
      </>
    );
  }
  const { models, datasets: allDatasets, experiments } = options.data;
  const baseTask = models.edges.find((e) => e.node.id === values.baseModelId)?.node.task;
  const datasets = baseTask ? allDatasets.filter((d) => d.task === baseTask) : allDatasets;
  const baseModel = baseOptions.data?.model?.id === values.baseModelId ? baseOptions.data.model : null;
  const defaults = baseModel?.fineTuneDefaults;
  const candidates = baseModel?.featureLayerCandidates ?? [];
  const taskName = (task: string) => (task === "text-classification" ? "text" : "images");
  const field = (control: keyof FormValues, label: string, input: ReactNode, hint?: string) => (
    <Field control={control} label={label} error={errors[control]} hint={hint}>
      {input}
    </Field>
  );
  const text = (control: keyof FormValues, extra: Record<string, string> = {}) => (
    <input
      id={control}
      name={control}
      value={String(values[control])}
      onChange={(e) => set(control, e.target.value as never)}
      aria-invalid={errors[control] ? true : undefined}
      aria-describedby={errors[control] ? `${control}-error` : undefined}
      {...extra}
    />
  );

  return (
    <>
      <PageHeader title="New fine-tune" />
      <form onSubmit={submit} noValidate aria-label="New fine-tune">
        {formError ? <ErrorBox error={formError} /> : null}
        <fieldset className="panel">
          <legend>What to train</legend>
          <div className="form-grid">
            {field(
              "baseModelId",
              "Base model",
              <select id="baseModelId" value={values.baseModelId} onChange={(e) => chooseBase(e.target.value)}>
                <option value="">Choose…</option>
                {models.edges.map(({ node }) => (
                  <option key={node.id} value={node.id}>
                    {node.name} ({node.kind === "BASE" ? node.architecture : "fine-tuned"}; {taskName(node.task)})
                  </option>
                ))}
              </select>,
              baseTask ? `Reads ${taskName(baseTask)}: only ${taskName(baseTask)} datasets are offered.` : undefined,
            )}
            {field(
              "datasetId",
              "Dataset",
              <select id="datasetId" value={values.datasetId} onChange={(e) => set("datasetId", e.target.value)}>
                <option value="">Choose…</option>
                {datasets.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.name} v{d.version} ({d.sampleCount.toLocaleString("en-US")} samples, {d.labels.length} classes)
                  </option>
                ))}
              </select>,
            )}
            {field(
              "experimentId",
              "Experiment",
              <select
                id="experimentId"
                value={values.experimentId}
                onChange={(e) => set("experimentId", e.target.value)}
              >
                <option value="">None</option>
                {experiments.map((x) => (
                  <option key={x.id} value={x.id}>
                    {x.name}
                  </option>
                ))}
              </select>,
            )}
            {field("name", "Run name", text("name", { placeholder: "optional" }))}
            {field("pool", "Trainer pool", text("pool"))}
            {field("maxSamples", "Max samples", text("maxSamples", { inputMode: "numeric", placeholder: "all" }))}
          </div>
        </fieldset>
        <fieldset className="panel">
          <legend>Freezing and head</legend>
          <div className="form-grid">
            {field(
              "freezeStrategy",
              "Freeze strategy",
              <select
                id="freezeStrategy"
                value={values.freezeStrategy}
                onChange={(e) => set("freezeStrategy", e.target.value as FormValues["freezeStrategy"])}
              >
                <option value="ALL_BASE">All base layers (feature cache)</option>
                <option value="FIRST_N">First N layers</option>
                <option value="NONE">None (train everything)</option>
              </select>,
            )}
            {field(
              "freezeLayers",
              "Layers to freeze (FIRST_N)",
              text("freezeLayers", {
                inputMode: "numeric",
                ...(values.freezeStrategy === "FIRST_N" ? {} : { disabled: "" }),
              }),
            )}
            {field(
              "featureLayer",
              "Feature layer",
              <select
                id="featureLayer"
                value={values.featureLayer}
                onChange={(e) => set("featureLayer", e.target.value)}
              >
                <option value="">Default{defaults?.featureLayer ? ` (${defaults.featureLayer})` : ""}</option>
                {candidates.map((c) => (
                  <option key={c.name} value={c.name}>
                    {c.name} [{c.outputShape.join("×")}] {c.className}
                    {c.isDefault ? " — default" : ""}
                  </option>
                ))}
              </select>,
              "Where the new head attaches: layers that output a feature vector",
            )}
            {field(
              "headHiddenUnits",
              "Head hidden units",
              text("headHiddenUnits", {
                inputMode: "numeric",
                placeholder: defaults ? `default ${defaults.headHiddenUnits}` : "base default",
              }),
              "0 = none",
            )}
            {field(
              "headDropout",
              "Head dropout",
              text("headDropout", {
                inputMode: "decimal",
                placeholder: defaults ? `default ${defaults.headDropout}` : "base default",
              }),
            )}
            {field(
              "unfreezeSchedule",
              "Unfreeze schedule",
              text("unfreezeSchedule", { placeholder: "e.g. 3:2, 5:4" }),
              "epoch:layers, comma-separated",
            )}
          </div>
        </fieldset>
        <fieldset className="panel">
          <legend>Optimisation</legend>
          <div className="form-grid">
            {field(
              "optimizer",
              "Optimizer",
              <select
                id="optimizer"
                value={values.optimizer}
                onChange={(e) => set("optimizer", e.target.value as FormValues["optimizer"])}
              >
                {Object.values(Optimizer).map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>,
            )}
            {field(
              "learningRate",
              "Learning rate",
              text("learningRate", {
                inputMode: "decimal",
                placeholder: defaults ? `default ${defaults.learningRate}` : "base default",
              }),
            )}
            {field("epochs", "Epochs", text("epochs", { inputMode: "numeric" }))}
            {field("batchSize", "Batch size", text("batchSize", { inputMode: "numeric" }))}
            {field("validationSplit", "Validation split", text("validationSplit", { inputMode: "decimal" }))}
            {field("seed", "Seed", text("seed", { inputMode: "numeric" }))}
            {field(
              "keepCheckpoints",
              "Keep checkpoints",
              text("keepCheckpoints", { inputMode: "numeric", placeholder: "none" }),
              "The last k epochs' weights, kept to fork the run from.",
            )}
            {field(
              "inputSize",
              "Input size",
              text("inputSize", { inputMode: "numeric", placeholder: "the base's" }),
              "Train at this square resolution (a multiple of 32), for bases pooled over the image such as mobilenet-v2.",
            )}
          </div>
        </fieldset>
        <fieldset className="panel">
          <legend>Early stopping</legend>
          <div className="form-grid">
            <div className="field span-3">
              <label className="checkbox" htmlFor="earlyStopping">
                <input
                  id="earlyStopping"
                  type="checkbox"
                  checked={values.earlyStopping}
                  onChange={(e) => set("earlyStopping", e.target.checked)}
                />
                Stop early when the monitored metric stops improving
              </label>
            </div>
            {values.earlyStopping ? (
              <>
                {field(
                  "esMonitor",
                  "Monitor",
                  <select
                    id="esMonitor"
                    value={values.esMonitor}
                    onChange={(e) => set("esMonitor", e.target.value as FormValues["esMonitor"])}
                  >
                    {Object.values(MetricName).map((m) => (
                      <option key={m} value={m}>
                        {m}
                      </option>
                    ))}
                  </select>,
                )}
                {field("esPatience", "Patience (epochs)", text("esPatience", { inputMode: "numeric" }))}
                {field("esMinDelta", "Min delta", text("esMinDelta", { inputMode: "decimal" }))}
              </>
            ) : null}
          </div>
        </fieldset>
        <fieldset className="panel">
          <legend>Controls</legend>
          <p className="muted">
            Sibling runs on the same split and seed, to measure what pre-training buys (transfer gain on the run page).
          </p>
          <div className="form-grid">
            <div className="field" data-field="controlScratch">
              <label className="checkbox" htmlFor="controlScratch">
                <input
                  id="controlScratch"
                  type="checkbox"
                  checked={values.controlScratch}
                  onChange={(e) => set("controlScratch", e.target.checked)}
                />
                Scratch: same architecture, re-initialized, every layer trained
              </label>
              {errors.controlScratch ? (
                <span className="field-message" id="controlScratch-error" role="alert">
                  {errors.controlScratch}
                </span>
              ) : null}
            </div>
            <div className="field" data-field="controlLinearProbe">
              <label className="checkbox" htmlFor="controlLinearProbe">
                <input
                  id="controlLinearProbe"
                  type="checkbox"
                  checked={values.controlLinearProbe}
                  onChange={(e) => set("controlLinearProbe", e.target.checked)}
                />
                Linear probe: frozen base, no hidden layer
              </label>
            </div>
          </div>
        </fieldset>
        <div className="page-actions">
          <button className="button" type="submit" disabled={submitting}>
            {submitting ? "Starting…" : "Start fine-tune"}
          </button>
        </div>
      </form>
    </>
  );
}

function Field(props: { control: string; label: string; error?: string; hint?: string; children: ReactNode }) {
  return (
    <div className={`field${props.error ? " field-error" : ""}`} data-field={props.control}>
      <label htmlFor={props.control}>{props.label}</label>
      {props.children}
      {props.hint && !props.error ? <span className="field-hint">{props.hint}</span> : null}
      {props.error ? (
        <span className="field-message" id={`${props.control}-error`} role="alert">
          {props.error}
        </span>
      ) : null}
    </div>
  );
}

function focusControl(control: string) {
  requestAnimationFrame(() => document.getElementById(control)?.focus());
}
