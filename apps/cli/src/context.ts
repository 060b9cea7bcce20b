import { GraftClient } from "@graft/client";
import type { Command } from "commander";
import { loadCredentials } from "./config.ts";
import { terminalSafeClient } from "./sanitize.ts";

export interface Context {
  json: boolean;
  client(): GraftClient;
}

/**
 * Global options live on the root command; every action reads them through here. In text
 * mode the client's answers come terminal-safe (see sanitize.ts); --json prints them as sent,
 * escaped.
 */
export function contextOf(command: Command): Context {
  const opts = command.optsWithGlobals() as { json?: boolean };
  let client: GraftClient | undefined;
  return {
    json: Boolean(opts.json),
    client() {
      client ??= new GraftClient(loadCredentials());
      return opts.json ? client : terminalSafeClient(client);
    },
  };
}
