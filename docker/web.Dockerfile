# Graft dashboard (Next.js production server). It talks to the gateway over GraphQL only.
# Build from the repository root: docker build -f docker/web.Dockerfile .
FROM node:20-bookworm-slim
ENV NODE_ENV=production NPM_CONFIG_UPDATE_NOTIFIER=false NEXT_TELEMETRY_DISABLED=1
WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund -w @graft/web --include-workspace-root \
    && npm run build -w @graft/web \
    && npm cache clean --force
USER node
WORKDIR /app/apps/web
ENV WEB_PORT=3000
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.WEB_PORT||3000)+'/').then(r=>process.exit(r.status<500?0:1),()=>process.exit(1))"]
CMD ["sh", "-c", "exec node \"$(node -p \"require.resolve('next/dist/bin/next')\")\" start -p \"$WEB_PORT\""]
