# Conduit worker image: `docker build -t conduit-core .`
# Runs `conduit worker --config /config/pipeline.yaml`; mount the pipeline file there and pass
# secrets as environment variables (never bake them into the image).

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
# The prebuilt workflow bundle spares each worker a webpack run (and ~70 MB) at start.
RUN npx tsc -p tsconfig.json && node dist/build-bundle.js && npm prune --omit=dev

FROM node:24-bookworm-slim
# zstd compresses staged files at a third of gzip's CPU (settings.compression: auto uses it when present).
RUN apt-get update && apt-get install -y --no-install-recommends zstd && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
USER node
# Node runs as PID 1 and handles SIGTERM itself: it stops polling, lets in-flight activities
# finish for up to 30 s (--shutdown-grace), then exits 0.
# /metrics, /healthz and /readyz (docs/operations.md, "Metrics and health").
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/conduit.js"]
CMD ["worker", "--config", "/config/pipeline.yaml", "--metrics-port", "9464"]
