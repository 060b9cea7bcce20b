/** Public API of @graft/launcher: start the local platform in-process (what `npm start` runs). */
export { LauncherConfigError, type LauncherEnv, readEnv } from "./env.ts";
export { type LocalPlatform, startLocalPlatform } from "./platform.ts";
