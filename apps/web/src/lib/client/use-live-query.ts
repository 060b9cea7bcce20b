"use client";
import type { GraphQLDocument } from "@graft/client";
import { useState } from "react";
import { type StreamState, useEvents } from "./use-events.ts";
import { type QueryState, useQuery } from "./use-query.ts";

/**
 * A page's object read once by a query, then kept live by a subscription that sends it whole
 * after every change (the first one on every (re)connect, so nothing is missed between the
 * read and the stream, or across a reconnect), such as sweepUpdated and studyUpdated. The
 * stream is open while the object is unknown or `live` says it can still change; the
 * gateway sends the final state before it ends the subscription, and the page then closes it.
 */
export function useLiveQuery<TResult, TVariables, TEvent, T>(
  document: GraphQLDocument<TResult, TVariables>,
  variables: TVariables,
  how: {
    /** The object in the query's answer. */
    select: (data: TResult) => T | null;
    /** The /api/events path of its subscription. */
    events: string;
    /** The object in one event. */
    fromEvent: (event: TEvent) => T;
    live: (current: T) => boolean;
  },
): Omit<QueryState<TResult>, "data" | "setData"> & { current: T | null; stream: StreamState | null } {
  const { data, error, loading, refetch } = useQuery(document, variables);
  // The newest object sent is the object: it replaces the query's answer (if it came on the
  // same stream, not on the previous page's).
  const [sent, setSent] = useState<{ events: string; current: T } | null>(null);
  const current = (sent?.events === how.events ? sent.current : null) ?? (data ? how.select(data) : null);
  const streaming = current === null || how.live(current);
  const stream = useEvents<TEvent>(streaming ? how.events : null, (event) =>
    setSent({ events: how.events, current: how.fromEvent(event) }),
  );
  return { current, error, loading, refetch, stream: streaming ? stream : null };
}
