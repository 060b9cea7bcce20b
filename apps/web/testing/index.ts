/**
 * Test API of @graft/web (`@graft/web/testing`): build the dashboard once, `next start` it,
 * drive Debian's chromium, and the scripts tests run inside the page. Not for the app.
 */
export { launchChromium, screenshot } from "./browser.ts";
export { loginThroughApi } from "./login.ts";
export { chartInk, MARK_DOCUMENT, READ_COOKIE, READ_MARK, READ_POINTS, recordChartPoints } from "./page-scripts.ts";
export { ensureWebBuild, WebBuildError } from "./web-build.ts";
export { startWebServer, type WebServer, WebServerStartError } from "./web-server.ts";
