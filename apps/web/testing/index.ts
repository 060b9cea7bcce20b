/** Test helpers for the dashboard's browser tests: build once, `next start`, Debian chromium. */
export { launchChromium, screenshot } from "./browser.ts";
export { ensureWebBuild, WebBuildError } from "./web-build.ts";
export { startWebServer, type WebServer, WebServerStartError } from "./web-server.ts";
