import { RunStatus } from "./graphql.generated.ts";

const TERMINAL: ReadonlySet<RunStatus> = new Set([RunStatus.Succeeded, RunStatus.Failed, RunStatus.Cancelled]);

/** A run in one of these statuses changes no more. */
export const isTerminal = (status: RunStatus): boolean => TERMINAL.has(status);
