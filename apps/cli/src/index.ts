/** Public API of @graft/cli: the CLI as a function. Its typed client is @graft/client. */
export { buildProgram, runCli } from "./program.ts";
