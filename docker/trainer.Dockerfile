# Graft trainer node (TensorFlow.js). CPU image: @tensorflow/tfjs-node when its native
# library installs, else the WASM/CPU backends; the trainer logs which backend it runs on.
# Build from the repository root: docker build -f docker/trainer.Dockerfile .
FROM node:20-bookworm-slim
ENV NODE_ENV=production NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund -w @graft/trainer --include-workspace-root \
    && (npm install --no-audit --no-fund --no-save -w @graft/trainer @tensorflow/tfjs-node@^4.22.0 \
        || echo "tfjs-node unavailable: the trainer will use the WASM backend") \
    && npm cache clean --force
USER node
# Liveness: the trainer's process is its heartbeat source; the gateway marks silent nodes OFFLINE.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "process.kill(1, 0)"]
CMD ["node", "services/trainer/bin/graft-trainer.mjs"]
