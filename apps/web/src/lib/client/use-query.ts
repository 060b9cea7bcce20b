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

/** An answer the page's server already read, and the variables it read it with. */
export interface InitialAnswer<TResult, TVariables> {
  variables: TVariables;
  data: TResult;
}

/**
 * Fetches an operation whenever its variables change; stale answers are dropped. With
 * `initial` for the current variables (read while the server rendered the page) it does not
 * ask again until `refetch`.
 */
export function useQuery<TResult, TVariables>(
  document: GraphQLDocument<TResult, TVariables>,
  variables: TVariables,
  options: { skip?: boolean; initial?: InitialAnswer<TResult, TVariables> | null } = {},
): QueryState<TResult> {
  const key = JSON.stringify(variables);
  const seeded = options.initial && JSON.stringify(options.initial.variables) === key ? options.initial.data : null;
  // What this hook fetched (or was given by setData), and for which variables.
  const [fetched, setFetched] = useState<{ key: string; data: TResult | null } | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(!options.skip && seeded === null);
  const generation = useRef(0);

  const run = useCallback(async () => {
    const mine = ++generation.current;
    setLoading(true);
    try {
      const result = await gql(document, JSON.parse(key) as TVariables);
      if (mine === generation.current) {
        setFetched({ key, data: result });
        setError(null);
      }
    } catch (e) {
      if (mine === generation.current) setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, [document, key]);

  const hasSeed = seeded !== null;
  useEffect(() => {
    if (options.skip) return;
    if (hasSeed) {
      // A fetch for earlier variables must not overwrite the server's answer for these.
      generation.current++;
      setLoading(false);
      return;
    }
    void run();
  }, [run, options.skip, hasSeed]);

  // This hook's own answer for these variables, else the server's, else the last one while
  // the next loads (a table keeps its rows while a new page is fetched).
  const data = fetched?.key === key ? fetched.data : (seeded ?? fetched?.data ?? null);
  const setData = useCallback(
    (update: (previous: TResult | null) => TResult | null) =>
      setFetched((previous) => ({ key, data: update(previous?.key === key ? previous.data : seeded) })),
    [key, seeded],
  );
  return { data, error, loading, refetch: run, setData };
}
