# Graft gateway (GraphQL over HTTP + graphql-ws, NATS ingest, PostgreSQL). Also runs migrations.
# Build from the repository root: docker build -f docker/gateway.Dockerfile .
FROM node:20-bookworm-slim
ENV NODE_ENV=production NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY . .
# TypeScript runs through tsx (a root dev dependency), so dev dependencies stay installed.
RUN npm ci --no-audit --no-fund -w @graft/gateway -w @graft/db --include-workspace-root \
    && npm cache clean --force \
    && mkdir -p /auth && chown node:node /auth
# /auth: the NATS operator and account keys (nats-init writes them, the gateway reads them).
USER node
ENV GATEWAY_HOST=0.0.0.0 GATEWAY_PORT=4000
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.GATEWAY_PORT||4000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--import", "tsx", "services/gateway/src/main.ts"]
