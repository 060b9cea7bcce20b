# Graft trainer node for NVIDIA GPUs: @tensorflow/tfjs-node-gpu (libtensorflow with CUDA).
# Run with the NVIDIA container runtime (compose profile "gpu"; see docker-compose.yml).
# Build from the repository root: docker build -f docker/trainer-gpu.Dockerfile .
FROM nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04
ENV DEBIAN_FRONTEND=noninteractive NODE_ENV=production NPM_CONFIG_UPDATE_NOTIFIER=false
# tfjs-node-gpu 4.x links against CUDA 11.x / cuDNN 8, which this base image provides.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl gnupg \
    && curl -fsSL https://deb.nodesource.com/setup_20.x | bash - \
    && apt-get install -y --no-install-recommends nodejs \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund -w @graft/trainer --include-workspace-root \
    && npm install --no-audit --no-fund --no-save -w @graft/trainer @tensorflow/tfjs-node-gpu@^4.22.0 \
    && npm cache clean --force
ENV TRAINER_BACKEND=tensorflow-gpu
# Not root: the CUDA image has no unprivileged user of its own.
RUN useradd --system --uid 10001 --no-create-home graft
USER graft
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "process.kill(1, 0)"]
CMD ["node", "services/trainer/bin/graft-trainer.mjs"]
