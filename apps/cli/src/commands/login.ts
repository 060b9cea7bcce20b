import { createInterface } from "node:readline/promises";
import { GraftClient } from "@graft/client";
import type { Command } from "commander";
import { saveCredentials } from "../config.ts";
import { contextOf } from "../context.ts";
import { UsageError } from "../errors.ts";
import { print, printJson } from "../output.ts";

async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

export function loginCommand(program: Command): void {
  program
    .command("login")
    .description("check a gateway URL and API key, then save them (~/.config/graft/config.json, mode 0600)")
    .option("--url <graphql-url>", "GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql")
    .option("--api-key <key>", "API key printed by the gateway (`API key: ...`)")
    .action(async (opts: { url?: string; apiKey?: string }, command: Command) => {
      const ctx = contextOf(command);
      const interactive = Boolean(process.stdin.isTTY);
      const url = opts.url ?? process.env.GRAFT_URL ?? (interactive ? await ask("GraphQL URL: ") : "");
      const apiKey = opts.apiKey ?? process.env.GRAFT_API_KEY ?? (interactive ? await ask("API key: ") : "");
      if (!url) throw new UsageError("a gateway URL is needed (--url)", "url");
      if (!apiKey) throw new UsageError("an API key is needed (--api-key)", "api-key");
      try {
        new URL(url);
      } catch {
        throw new UsageError(`not a URL: ${url}`, "url");
      }
      const viewer = await new GraftClient({ url, apiKey }).viewer();
      const path = saveCredentials({ url, apiKey });
      if (ctx.json) printJson({ url, project: viewer, configPath: path });
      else print(`Logged in to ${url} as project ${viewer.projectName}; saved to ${path}`);
    });
}
