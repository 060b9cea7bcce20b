import { fileURLToPath } from "node:url";
import type { NextConfig } from "next";

const config: NextConfig = {
  // The monorepo root holds the single lockfile and node_modules.
  turbopack: { root: fileURLToPath(new URL("../..", import.meta.url)) },
  outputFileTracingRoot: fileURLToPath(new URL("../..", import.meta.url)),
  // ws loads optional native addons at runtime; bundling it breaks the masking fallback.
  serverExternalPackages: ["ws", "graphql-ws"],
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
