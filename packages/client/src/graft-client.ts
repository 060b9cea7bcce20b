import { GraftFetcher, type GraphQLDocument, type RequestBody } from "./fetcher.ts";
import * as G from "./graphql.generated.ts";
import { isTerminal } from "./run-status.ts";
import { iterate } from "./subscriptions.ts";
import type { ModelSummary, Ref, RunEvent } from "./types.ts";
import { type UploadResult, upload } from "./uploads.ts";

export interface GraftClientOptions {
  /** GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  url: string;
  apiKey: string;
  /** Per-request timeout. @default 30000 */
  timeoutMs?: number;
  /** @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
}

/** The gateway's API as methods: what the CLI is built on, and what any program can import. */
export class GraftClient {
  readonly url: string;
  readonly #apiKey: string;
  readonly #fetcher: GraftFetcher;

  constructor(options: GraftClientOptions) {
    this.url = options.url;
    this.#apiKey = options.apiKey;
    this.#fetcher = new GraftFetcher(options);
  }

  /** Any operation: a generated document (typed) or a query string. */
  request<TResult, TVariables>(document: GraphQLDocument<TResult, TVariables>, variables?: TVariables) {
    return this.#fetcher.request(document, variables);
  }

  async viewer() {
    return (await this.request(G.ViewerDocument)).viewer;
  }

  /** Every model visible to the project (follows pagination). */
  async models(filter?: G.ModelFilter): Promise<ModelSummary[]> {
    const out: ModelSummary[] = [];
    let after: string | null | undefined;
    do {
      const { models } = await this.request(G.ModelsDocument, { filter, first: 100, after });
      out.push(...models.edges.map((e) => e.node));
      after = models.pageInfo.hasNextPage ? models.pageInfo.endCursor : null;
    } while (after);
    return out;
  }

  async model(id: string) {
    return (await this.request(G.ModelDocument, { id })).model;
  }

  /** Where a base can be cut (candidate feature layers) and what a fine-tune of it uses by default. */
  async modelFineTuneOptions(id: string) {
    return (await this.request(G.ModelFineTuneOptionsDocument, { id })).model;
  }

  async modelTree(id: string, maxDepth?: number) {
    return (await this.request(G.ModelTreeDocument, { id, maxDepth })).model;
  }

  async registerModel(input: G.RegisterModelInput) {
    return (await this.request(G.RegisterModelDocument, { input })).registerModel;
  }

  async datasets() {
    return (await this.request(G.DatasetsDocument)).datasets;
  }

  /** Ids and names only: enough to resolve a name given on a command line. */
  async datasetRefs(): Promise<(Ref & { task: string })[]> {
    return (await this.request(G.DatasetRefsDocument)).datasets;
  }

  async experimentRefs(): Promise<Ref[]> {
    return (await this.request(G.ExperimentRefsDocument)).experiments;
  }

  async createDataset(name: string, uploadId: string) {
    return (await this.request(G.CreateDatasetDocument, { input: { name, uploadId } })).createDataset;
  }

  async experiments() {
    return (await this.request(G.ExperimentsDocument)).experiments;
  }

  async createExperiment(input: G.CreateExperimentInput) {
    return (await this.request(G.CreateExperimentDocument, { input })).createExperiment;
  }

  async runs(options: { filter?: G.RunFilter; first?: number; orderBy?: G.RunOrder } = {}) {
    const { runs } = await this.request(G.RunsDocument, { ...options, first: options.first ?? 50 });
    return { runs: runs.edges.map((e) => e.node), totalCount: runs.totalCount };
  }

  /** One run with every epoch, its attempts and its hyperparameters as sent. */
  async run(id: string, options: { targetAccuracy?: number } = {}) {
    return (await this.request(G.RunDocument, { id, full: true, targetAccuracy: options.targetAccuracy })).run;
  }

  async startFineTune(input: G.StartFineTuneInput) {
    return (await this.request(G.StartFineTuneDocument, { input })).startFineTune;
  }

  /** Starts a data-efficiency study: every run of its grid, or none (typed error). */
  async startStudy(input: G.StartStudyInput) {
    return (await this.request(G.StartStudyDocument, { input })).startStudy;
  }

  async studies() {
    return (await this.request(G.StudiesDocument)).studies;
  }

  /** A study with its runs, table (cells) and learning curve. */
  async study(id: string, options: { targetAccuracy?: number } = {}) {
    return (await this.request(G.StudyDocument, { id, targetAccuracy: options.targetAccuracy })).study;
  }

  /** Starts a sweep: every trial planned and validated, the first launched; or a typed error and nothing stored. */
  async startSweep(input: G.StartSweepInput) {
    return (await this.request(G.StartSweepDocument, { input })).startSweep;
  }

  /** Stops a running sweep: no more trials start, the active ones are cancelled. */
  async cancelSweep(id: string) {
    return (await this.request(G.CancelSweepDocument, { id })).cancelSweep;
  }

  async sweeps() {
    return (await this.request(G.SweepsDocument)).sweeps;
  }

  /** A sweep with every trial (parameters, run, rung, metric) and its best trial and model. */
  async sweep(id: string) {
    return (await this.request(G.SweepDocument, { id })).sweep;
  }

  /** Which base and strategy transfer best onto a dataset, best first. */
  async leaderboard(datasetId: string) {
    return (await this.request(G.LeaderboardDocument, { datasetId })).leaderboard;
  }

  /** A new run from `input.runId`'s kept checkpoint after `input.epoch` (see ForkRunInput). */
  async forkRun(input: G.ForkRunInput) {
    return (await this.request(G.ForkRunDocument, { input })).forkRun;
  }

  async cancelRun(id: string) {
    return (await this.request(G.CancelRunDocument, { id })).cancelRun;
  }

  async trainers(status?: G.TrainerStatus) {
    return (await this.request(G.TrainersDocument, { status })).trainers;
  }

  async drainTrainer(id: string) {
    return (await this.request(G.DrainTrainerDocument, { id })).drainTrainer;
  }

  /** Removes a trainer and revokes its NATS credentials (ADMIN keys only). */
  async removeTrainer(id: string) {
    return (await this.request(G.RemoveTrainerDocument, { id })).removeTrainer;
  }

  /** Run events the gateway refused or dead-lettered, newest first (ADMIN keys only). */
  async eventDrops(first = 50) {
    return (await this.request(G.EventDropsDocument, { first })).eventDrops;
  }

  /** The project's API keys (ADMIN keys only). */
  async apiKeys(includeRevoked = false) {
    return (await this.request(G.ApiKeysDocument, { includeRevoked })).apiKeys;
  }

  /** A new API key; `secret` is in this answer only. */
  async createApiKey(input: G.CreateApiKeyInput) {
    return (await this.request(G.CreateApiKeyDocument, { input })).createApiKey;
  }

  async revokeApiKey(id: string) {
    return (await this.request(G.RevokeApiKeyDocument, { id })).revokeApiKey;
  }

  /** The fleet's join tokens (ADMIN keys only). */
  async joinTokens(includeRevoked = false) {
    return (await this.request(G.JoinTokensDocument, { includeRevoked })).joinTokens;
  }

  /** A new join token; `secret` is in this answer only. */
  async createJoinToken(name: string) {
    return (await this.request(G.CreateJoinTokenDocument, { input: { name } })).createJoinToken;
  }

  async revokeJoinToken(id: string) {
    return (await this.request(G.RevokeJoinTokenDocument, { id })).revokeJoinToken;
  }

  /** POSTs bytes to /uploads; the returned id feeds createDataset / registerModel. */
  upload(bytes: RequestBody, contentType = "application/zip"): Promise<UploadResult> {
    return upload(this.#fetcher, bytes, { contentType });
  }

  /**
   * A study over graphql-ws: as it is now, then after every status change or stored epoch of
   * one of its runs (cells fill in); ends once the study has finished or `signal` aborts.
   */
  async *studyUpdates(id: string, signal?: AbortSignal) {
    const options = { url: this.url, apiKey: this.#apiKey };
    for await (const { studyUpdated } of iterate(options, G.StudyUpdatedDocument, { id }, signal)) yield studyUpdated;
  }

  /**
   * Streams a run's events over graphql-ws until the run reaches a terminal status or
   * `signal` aborts. Nothing is missed by subscribing late: the gateway's first event is a
   * STATUS snapshot taken once the live feed is attached, and on it this reads the epochs
   * already stored and yields them first. Each epoch is yielded once, in order; the stream
   * ends after the terminal STATUS event.
   */
  async *runEvents(runId: string, signal?: AbortSignal): AsyncGenerator<RunEvent> {
    const options = { url: this.url, apiKey: this.#apiKey };
    const seenEpochs = new Set<number>();
    let caughtUp = false;
    for await (const { runEvents: event } of iterate(options, G.RunEventsDocument, { runId }, signal)) {
      if (!caughtUp) {
        caughtUp = true;
        for (const epoch of (await this.run(runId))?.epochs ?? []) {
          seenEpochs.add(epoch.epoch);
          yield {
            kind: G.RunEventKind.Epoch,
            runId,
            status: event.status,
            attempt: epoch.attempt,
            message: null,
            at: epoch.recordedAt,
            epoch,
            progress: null,
          };
        }
      }
      if (event.epoch) {
        if (seenEpochs.has(event.epoch.epoch)) continue;
        seenEpochs.add(event.epoch.epoch);
      }
      yield event;
      if (event.kind === G.RunEventKind.Status && isTerminal(event.status)) return;
    }
  }
}
