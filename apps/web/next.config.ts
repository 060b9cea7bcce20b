import { fileURLToPath } from "node:url";
import type { NextConfig } from "next";

// On every response: no framing, no MIME sniffing, no Referer leaving the site. Pages get
// their Content-Security-Policy (with a nonce) from src/proxy.ts; everything else gets one
// that allows nothing, since it is data, not a document.
const everywhere = [
  { key: "X-Frame-Options", value: "DENY" },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "no-referrer" },
  { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), clipboard-read=()" },
];

const config: NextConfig = {
  // The monorepo root holds the single lockfile and node_modules.
  turbopack: { root: fileURLToPath(new URL("../..", import.meta.url)) },
  outputFileTracingRoot: fileURLToPath(new URL("../..", import.meta.url)),
  // ws loads optional native addons at runtime; bundling it breaks the masking fallback.
  serverExternalPackages: ["ws", "graphql-ws"],
  poweredByHeader: false,
  reactStrictMode: true,
  async headers() {
    return [
      { source: "/:path*", headers: everywhere },
      {
        source: "/api/:path*",
        headers: [{ key: "Content-Security-Policy", value: "default-src 'none'; frame-ancestors 'none'" }],
      },
      {
        source: "/_next/:path*",
        headers: [{ key: "Content-Security-Policy", value: "default-src 'none'; frame-ancestors 'none'" }],
      },
    ];
  },
};

export default config;
