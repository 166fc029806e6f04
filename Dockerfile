# syntax=docker/dockerfile:1

# ---- deps: production node_modules, including tfjs-node's native binding ----
FROM node:20-bookworm-slim AS deps
# Build tools for native addons (node-gyp fallback when no prebuilt binary fits).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# The root postinstall runs these scripts and builds the graph binding, so they come before `npm ci`.
COPY scripts/setup-tfjs-node.mjs scripts/build-tf-graph.mjs ./scripts/
COPY native/ ./native/
# With internet, tfjs-node downloads libtensorflow; fail the build rather than ship the slow JS fallback.
RUN KJ_REQUIRE_TFJS_NODE=1 npm ci --omit=dev && npm cache clean --force

# ---- runtime ----
FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 DATA_DIR=/data CHECKPOINT_DIR=/data/checkpoints
WORKDIR /app
# Code stays root-owned (read-only for the app); only /data is writable.
COPY --from=deps /app/node_modules ./node_modules
# The graph binding, built against (and linked by absolute path to) node_modules' libtensorflow.
COPY --from=deps /app/native ./native
COPY package.json package-lock.json ./
COPY src/ ./src/
COPY workers/ ./workers/
COPY scripts/ ./scripts/
COPY openapi/ ./openapi/
# The CLI and the tutorial examples, for `docker compose exec api npm run example -- 1`.
COPY bin/ ./bin/
COPY examples/ ./examples/
# Created here so a fresh named volume mounted on /data/checkpoints starts out
# owned by `node` (Docker copies the image's directory ownership into it).
RUN mkdir -p /data/checkpoints && chown -R node:node /data
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--import", "tsx", "src/server.ts"]
