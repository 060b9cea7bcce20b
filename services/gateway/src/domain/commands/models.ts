import { randomUUID } from "node:crypto";
import { InvalidModelError, ModelLimitError, type ParsedModel, UnsafeArchiveError } from "@graft/artifacts";
import { type ImagePreprocessing, TASKS, type TextPreprocessing } from "@graft/contracts";
import type { ProjectScope } from "@graft/db";
import type { DomainDeps } from "../deps.ts";
import { BadUserInputError } from "../errors.ts";
import { checkName } from "../input.ts";
import { parseOffThread } from "../parse-off-thread.ts";
import type { ModelRow } from "../rows.ts";
import { storeBaseModel } from "../store-base-model.ts";
import { Uploads } from "../uploads.ts";
import { fetchModelFiles, UrlFetchError } from "../url-fetch.ts";

export interface RegisterModelInput {
  name: string;
  uploadId?: string | null;
  url?: string | null;
  task?: string | null;
  labels?: readonly string[] | null;
  inputRange?: readonly number[] | null;
  /** Text models: where padding goes and which end truncation cuts (default END, END). */
  sequencePadding?: "START" | "END" | null;
  sequenceTruncation?: "START" | "END" | null;
  /** Text models: the padding id; default the tokenizer's [PAD]/<pad>. */
  padTokenId?: number | null;
  featureLayer?: string | null;
  provenance?: unknown;
}

export class ModelCommands {
  constructor(
    private readonly deps: DomainDeps,
    private readonly scope: ProjectScope,
  ) {}

  /** A BASE model from an uploaded zip or a URL, parsed as data (never executed). */
  async register(input: RegisterModelInput): Promise<ModelRow> {
    const name = checkName(input.name, "input.name");
    const task = input.task ?? "image-classification";
    if (!(TASKS as readonly string[]).includes(task)) {
      throw new BadUserInputError("input.task", `input.task must be one of ${TASKS.join(", ")}`);
    }
    if ((input.uploadId ? 1 : 0) + (input.url ? 1 : 0) !== 1) {
      throw new BadUserInputError(input.url ? "input.url" : "input.uploadId", "give exactly one of uploadId and url");
    }
    if (input.provenance !== undefined && input.provenance !== null) {
      if (typeof input.provenance !== "object" || Array.isArray(input.provenance)) {
        throw new BadUserInputError("input.provenance", "input.provenance must be a JSON object");
      }
      if (JSON.stringify(input.provenance).length > 64_000) {
        throw new BadUserInputError("input.provenance", "input.provenance is larger than 64 kB");
      }
    }

    const field = input.url ? "input.url" : "input.uploadId";
    if (input.uploadId) {
      return await new Uploads(this.deps, this.scope).use(input.uploadId, "input.uploadId", (upload) =>
        this.store(input, { name, task, field, uploadId: upload.id }, () =>
          parseOffThread({ kind: "model-zip-file", path: upload.file }),
        ),
      );
    }
    return await this.store(input, { name, task, field, uploadId: null }, async () =>
      parseOffThread({
        kind: "model-files",
        files: await fetchModelFiles(input.url as string, {
          withTokenizer: task === "text-classification",
          allowPrivate: this.deps.options.allowPrivateUrls,
          maxBytes: this.deps.options.maxFetchBytes,
          timeoutMs: this.deps.options.fetchTimeoutMs,
        }),
      }),
    );
  }

  /** Parses (mapping file errors to BAD_USER_INPUT on `field`), checks and stores the model. */
  private async store(
    input: RegisterModelInput,
    { name, task, field, uploadId }: { name: string; task: string; field: string; uploadId: string | null },
    parse: () => Promise<ParsedModel>,
  ): Promise<ModelRow> {
    let parsed: ParsedModel;
    try {
      parsed = await parse();
    } catch (error) {
      if (error instanceof InvalidModelError || error instanceof UnsafeArchiveError || error instanceof UrlFetchError) {
        const limit =
          error instanceof InvalidModelError && !(error instanceof ModelLimitError) ? undefined : error.limit;
        throw new BadUserInputError(field, error.message, undefined, { cause: error, limit });
      }
      throw error;
    }

    const preprocessing =
      task === "text-classification"
        ? textPreprocessing(parsed, input, field)
        : imagePreprocessing(parsed, input, field);
    const labels = this.labels(input.labels, parsed.outputUnits);
    const featureLayer = input.featureLayer ?? parsed.featureLayer;
    if (input.featureLayer && !parsed.layers.some((l) => l.name === input.featureLayer)) {
      throw new BadUserInputError(
        "input.featureLayer",
        `the model has no layer named ${JSON.stringify(input.featureLayer)}`,
      );
    }
    const row = await storeBaseModel(this.deps, parsed, {
      id: randomUUID(),
      projectId: this.scope.projectId,
      name,
      task,
      labels,
      preprocessing,
      featureLayer,
      provenance: {
        ...((input.provenance as Record<string, unknown> | null | undefined) ?? {}),
        source: input.url ? { kind: "url", url: input.url } : { kind: "upload", uploadId },
      },
    });
    return row;
  }

  private labels(given: readonly string[] | null | undefined, outputUnits: number | null): string[] {
    if (given) {
      if (given.length > 10_000)
        throw new BadUserInputError("input.labels", "input.labels has more than 10000 entries");
      const labels = given.map((l, i) => checkName(l, `input.labels.${i}`));
      if (outputUnits !== null && labels.length !== outputUnits) {
        throw new BadUserInputError(
          "input.labels",
          `input.labels has ${labels.length} entries but the model's output has ${outputUnits} units`,
        );
      }
      return labels;
    }
    return outputUnits === null ? [] : Array.from({ length: outputUnits }, (_, i) => String(i));
  }
}

function imagePreprocessing(parsed: ParsedModel, input: RegisterModelInput, field: string): ImagePreprocessing {
  const channels = parsed.inputShape.at(-1);
  if (parsed.inputShape.length !== 3 || (channels !== 1 && channels !== 3)) {
    throw new BadUserInputError(
      field,
      `an image classifier must take [height, width, 1|3] inputs; this model takes [${parsed.inputShape.join(", ")}]`,
    );
  }
  if (parsed.tokenizer) throw new BadUserInputError(field, "a tokenizer.json belongs to text models only");
  for (const name of ["sequencePadding", "sequenceTruncation", "padTokenId"] as const) {
    if (input[name] !== null && input[name] !== undefined) {
      throw new BadUserInputError(`input.${name}`, `input.${name} applies to text models only`);
    }
  }
  return { inputRange: inputRange(input.inputRange), channels };
}

function inputRange(value: readonly number[] | null | undefined): [number, number] {
  if (value === null || value === undefined) return [0, 1];
  const [min, max] = value;
  if (
    value.length !== 2 ||
    min === undefined ||
    max === undefined ||
    !(min < max) ||
    Math.abs(min) > 1e6 ||
    Math.abs(max) > 1e6
  ) {
    throw new BadUserInputError("input.inputRange", "input.inputRange must be [min, max] with min < max");
  }
  return [min, max];
}

/** A text model reads token ids [length] made by the tokenizer.json it came with. */
function textPreprocessing(parsed: ParsedModel, input: RegisterModelInput, field: string): TextPreprocessing {
  const tokenizer = parsed.tokenizer;
  if (!tokenizer) throw new BadUserInputError(field, "a text model needs its tokenizer.json beside model.json");
  const [length] = parsed.inputShape;
  if (parsed.inputShape.length !== 1 || length === undefined || length > 4096) {
    throw new BadUserInputError(
      field,
      `a text classifier must take [sequenceLength <= 4096] token ids; this model takes [${parsed.inputShape.join(", ")}]`,
    );
  }
  if (input.inputRange !== null && input.inputRange !== undefined) {
    throw new BadUserInputError("input.inputRange", "input.inputRange applies to image models only");
  }
  const padTokenId = input.padTokenId ?? tokenizer.padTokenId;
  if (padTokenId === null) {
    throw new BadUserInputError("input.padTokenId", "the tokenizer names no padding token; pass input.padTokenId");
  }
  if (!Number.isInteger(padTokenId) || padTokenId < 0 || padTokenId >= tokenizer.vocabSize) {
    throw new BadUserInputError("input.padTokenId", `input.padTokenId must be an id below ${tokenizer.vocabSize}`);
  }
  return {
    kind: "text",
    sequenceLength: length,
    padding: input.sequencePadding ?? "END",
    truncation: input.sequenceTruncation ?? "END",
    padTokenId,
    tokenizerSha256: tokenizer.sha256,
  };
}

/** model.json and its shards (and tokenizer.json) from a zip, at the top or all under one folder. */
