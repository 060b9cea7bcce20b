import { Command, CommanderError } from "commander";
import { datasetsCommand } from "./commands/datasets.ts";
import { experimentsCommand } from "./commands/experiments.ts";
import { finetuneCommand } from "./commands/finetune.ts";
import { keysCommands } from "./commands/keys.ts";
import { leaderboardCommand } from "./commands/leaderboard.ts";
import { loginCommand } from "./commands/login.ts";
import { modelsCommand } from "./commands/models.ts";
import { runsCommand } from "./commands/runs.ts";
import { studyCommand } from "./commands/study.ts";
import { sweepCommand } from "./commands/sweep.ts";
import { trainerCommand } from "./commands/trainer.ts";
import { trainersCommand } from "./commands/trainers.ts";
import { describeError, EXIT, exitCodeFor } from "./errors.ts";

export function buildProgram(): Command {
  const program = new Command("graft")
    .description("Graft: transfer-learning experiments on a fleet of trainers")
    .option("--json", "machine-readable output")
    .showHelpAfterError("(run with --help for usage)")
    // Commander would exit(1) on a bad flag; usage errors must exit 2, so it throws instead.
    .exitOverride();
  loginCommand(program);
  modelsCommand(program);
  datasetsCommand(program);
  experimentsCommand(program);
  finetuneCommand(program);
  runsCommand(program);
  studyCommand(program);
  sweepCommand(program);
  leaderboardCommand(program);
  trainersCommand(program);
  trainerCommand(program);
  keysCommands(program);
  return program;
}

/** Runs the CLI on `argv` (without node and script) and resolves with the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      const ok =
        error.code === "commander.helpDisplayed" ||
        error.code === "commander.version" ||
        error.code === "commander.help";
      return ok ? EXIT.ok : EXIT.usage;
    }
    process.stderr.write(`${describeError(error)}\n`);
    return exitCodeFor(error);
  }
}
