"use client";
import type { GraphQLDocument } from "@graft/client";
import { useCallback, useEffect, useRef, useState } from "react";
import { gql } from "./graphql.ts";

export interface QueryState<T> {
  data: T | null;
  error: Error | null;
  loading: boolean;
  refetch: () => Promise<void>;
  setData: (update: (previous: T | null) => T | null) => void;
}

/** Fetches an operation whenever its variables change; stale answers are dropped. */
export function useQuery<TResult, TVariables>(
  document: GraphQLDocument<TResult, TVariables>,
  variables: TVariables,
  options: { skip?: boolean } = {},
): QueryState<TResult> {
  const [data, setDataState] = useState<TResult | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(!options.skip);
  const key = JSON.stringify(variables);
  const generation = useRef(0);

  const run = useCallback(async () => {
    const mine = ++generation.current;
    setLoading(true);
    try {
      const result = await gql(document, JSON.parse(key) as TVariables);
      if (mine === generation.current) {
        setDataState(result);
        setError(null);
      }
    } catch (e) {
      if (mine === generation.current) setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, [document, key]);

  useEffect(() => {
    if (!options.skip) void run();
  }, [run, options.skip]);

  const setData = useCallback((update: (previous: TResult | null) => TResult | null) => setDataState(update), []);
  return { data, error, loading, refetch: run, setData };
}
