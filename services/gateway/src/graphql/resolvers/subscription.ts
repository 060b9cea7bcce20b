import { GraphQLError } from "graphql";
import { UnauthenticatedError } from "../../domain/errors.ts";
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
