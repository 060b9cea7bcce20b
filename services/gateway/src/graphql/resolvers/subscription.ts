import { GraphQLError } from "graphql";
import { UnauthenticatedError } from "../../domain/errors.ts";
import type { StudyRow } from "../../domain/studies.ts";
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

export const Subscription: SubscriptionResolvers = {
  runEvents: {
    // Visibility first: another project's run id answers NOT_FOUND, like a query would.
    subscribe: async (_, { runId }, ctx) => {
      const run = await ctx.domain.runs.get(runId);
      return eventPlane(ctx).subscribeRunEvents(run.id) as AsyncIterableIterator<never>;
    },
    resolve: (payload: RunEventParent) => payload as never,
  },
  sweepUpdated: {
    subscribe: async (_, { id }, ctx) => {
      const sweep = await ctx.domain.sweeps.get(id);
      return eventPlane(ctx).subscribeSweepUpdates(sweep.id) as AsyncIterableIterator<never>;
    },
    // Read fresh on every notice: the notice says only that something changed.
    resolve: (payload: { sweepId: string }, _: unknown, ctx: GraphQLContext) =>
      ctx.domain.sweeps.get(payload.sweepId) as never,
  },
  studyUpdated: {
    // Visibility first: another project's study id answers NOT_FOUND, like a query would.
    subscribe: async (_, { id }, ctx) => {
      const study = await ctx.domain.studies.get(id);
      const runIds = (await ctx.domain.studies.runsOf(study.id)).map((r) => r.id);
      return studyFeed(ctx, study.id, eventPlane(ctx).subscribeRunsEvents(runIds)) as AsyncIterableIterator<never>;
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
 * The study as it is once the feed is live, then re-read after each status change or stored
 * epoch of one of its runs; ends once the study has
 * finished. Each answer is a fresh row, so its cells are computed anew.
 */
async function* studyFeed(
  ctx: GraphQLContext,
  studyId: string,
  feed: AsyncIterableIterator<{ kind: string } | null>,
): AsyncGenerator<StudyRow> {
  try {
    for await (const event of feed) {
      // The opening snapshot (null), a status change or a stored epoch: LOG and the per-second
      // PROGRESS reports change nothing a study shows, and would cost two reads each.
      if (event && event.kind !== "STATUS" && event.kind !== "EPOCH") continue;
      yield await ctx.domain.studies.get(studyId);
      if ((await ctx.domain.studies.status(studyId)) !== "RUNNING") return;
    }
  } finally {
    await feed.return?.();
  }
}
