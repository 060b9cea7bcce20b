import { GraphQLError } from "graphql";
import type { EventPlanePort } from "../../domain/deps.ts";
import { UnauthenticatedError } from "../../domain/errors.ts";
import type { RunRow } from "../../domain/rows.ts";
import type { StudyRow } from "../../domain/studies.ts";
import type { SweepRow } from "../../domain/sweep-ledger.ts";
import { FreshReads } from "../../events/fresh-reads.ts";
import type { GraphQLContext } from "../context.ts";
import type { RunEventParent, TrainerEventParent } from "../parents.ts";
import type { RunEventResolvers, SubscriptionResolvers, TrainerEventResolvers } from "../resolvers.generated.ts";

function eventPlane(ctx: GraphQLContext) {
  if (!ctx.events) {
    throw new GraphQLError("live events are not available on this gateway", {
      extensions: { code: "SERVICE_UNAVAILABLE" },
    });
  }
  return ctx.events;
}

/** Per gateway (its event plane), the runEvents visibility checks under way. */
const runChecks = new WeakMap<EventPlanePort, FreshReads<string, RunRow>>();

/**
 * The run, if the caller's project may see it. Subscribers of one project opening on one run
 * together (a dashboard's viewers, a bench's thousands) share the read, each one started after
 * they asked (FreshReads): what one of them may see, all of them may.
 */
function visibleRun(ctx: GraphQLContext, runId: string): Promise<RunRow> {
  if (!ctx.viewer || !ctx.events) return ctx.domain.runs.get(runId);
  let checks = runChecks.get(ctx.events);
  if (!checks) {
    checks = new FreshReads();
    runChecks.set(ctx.events, checks);
  }
  return checks.read(`${ctx.viewer.projectId} ${runId}`, () => ctx.domain.runs.get(runId));
}

export const Subscription: SubscriptionResolvers = {
  runEvents: {
    // Visibility first: another project's run id answers NOT_FOUND, like a query would.
    subscribe: async (_, { runId }, ctx) => {
      const run = await visibleRun(ctx, runId);
      return eventPlane(ctx).subscribeRunEvents(run.id) as AsyncIterableIterator<never>;
    },
    resolve: (payload: RunEventParent) => payload as never,
  },
  sweepUpdated: {
    // Visibility first: another project's sweep id answers NOT_FOUND, like a query would.
    subscribe: async (_, { id }, ctx) => {
      const sweep = await ctx.domain.sweeps.get(id);
      // Read fresh on every notice (a notice says only that something changed); ends once the
      // sweep has, like studyUpdated.
      return readsUntilEnded(eventPlane(ctx).subscribeSweepUpdates(sweep.id), {
        read: () => ctx.domain.sweeps.get(sweep.id),
        ended: (row) => row.status !== "RUNNING",
      }) as AsyncIterableIterator<never>;
    },
    resolve: (payload: SweepRow) => payload,
  },
  studyUpdated: {
    // Visibility first: another project's study id answers NOT_FOUND, like a query would.
    subscribe: async (_, { id }, ctx) => {
      const study = await ctx.domain.studies.get(id);
      const runIds = (await ctx.domain.studies.runsOf(study.id)).map((r) => r.id);
      return readsUntilEnded(eventPlane(ctx).subscribeRunsEvents(runIds), {
        // The opening snapshot (null), a status change or a stored epoch: LOG and the per-second
        // PROGRESS reports change nothing a study shows, and would cost two reads each.
        wanted: (event) => !event || event.kind === "STATUS" || event.kind === "EPOCH",
        // Each answer is a fresh row, so its cells are computed anew.
        read: () => ctx.domain.studies.get(study.id),
        ended: async () => (await ctx.domain.studies.status(study.id)) !== "RUNNING",
      }) as AsyncIterableIterator<never>;
    },
    resolve: (payload: StudyRow) => payload,
  },
  trainerEvents: {
    subscribe: async (_, __, ctx) => {
      if (!ctx.viewer) throw new UnauthenticatedError("missing API key");
      return eventPlane(ctx).subscribeTrainerEvents() as AsyncIterableIterator<never>;
    },
    resolve: (payload: TrainerEventParent) => payload as never,
  },
};

export const TrainerEvent: TrainerEventResolvers = {
  // Read fresh on every event: a connection lives long, a loader would serve stale rows.
  trainer: (e, _, { domain }) => domain.trainers.get(e.trainerId),
};

export const RunEvent: RunEventResolvers = {};

/**
 * A thing as it is once `feed` is live (its first item), then re-read after each item
 * `wanted` lets through; ends after the read `ended` says is final, and closes `feed`.
 */
async function* readsUntilEnded<E, T>(
  feed: AsyncIterableIterator<E>,
  how: { read: () => Promise<T>; ended: (row: T) => boolean | Promise<boolean>; wanted?: (event: E) => boolean },
): AsyncGenerator<T> {
  try {
    for await (const event of feed) {
      if (how.wanted && !how.wanted(event)) continue;
      const row = await how.read();
      yield row;
      if (await how.ended(row)) return;
    }
  } finally {
    await feed.return?.();
  }
}
