/** Public API of @graft/cli: the CLI as a function, plus the typed client (also at @graft/cli/client). */
export * from "./client/index.ts";
export { buildProgram, runCli } from "./program.ts";
