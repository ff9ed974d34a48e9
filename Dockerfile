# mock-upstream: `docker run -p 8000:8000 mock-upstream` (flags pass through: `... mock-upstream --workers 4`).
# Node 20 on Debian bookworm: the only pairing the native uWebSockets.js build loads on (see README).
# test/packaging/dockerfile.test.ts replays this file step by step (no Docker needed); docs/docker.md is the guide.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Manifests first: the dependency layer is reused until package-lock.json changes.
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
# --ignore-scripts: our own `prepare` would build before src/ is copied, and the native-addon
# installs of ws's optional helpers are only for the pure-JS fallback that mock-upstream refuses.
# --no-audit/--no-fund: no registry round trips whose reports nobody reads in an image build.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY src ./src
RUN npx tsc -p tsconfig.build.json && node dist/src/serializers/build.js \
 && npm prune --omit=dev --ignore-scripts \
 # Keep only the Linux x64/arm64 binaries for Node 20 (ABI 115); the copies under dist/ are never loaded.
 && find node_modules/uWebSockets.js/binaries -type f ! -name 'uws_linux_x64_115.node' ! -name 'uws_linux_arm64_115.node' -delete \
 && rm -f node_modules/uWebSockets.js/dist/*.node

FROM node:20-bookworm-slim
LABEL org.opencontainers.image.title="mock-upstream" \
      org.opencontainers.image.description="The HTTP upstream for API-gateway benchmarks and gateway integration tests" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="docker.io/library/node:20-bookworm-slim"
# Defaults the CLI reads (flags still win); the HEALTHCHECK reads PORT too, so change the port with
# `-e PORT=9000` rather than `--port 9000`.
ENV NODE_ENV=production \
    PORT=8000 \
    HOST=0.0.0.0 \
    WORKERS=auto \
    LOG_LEVEL=info
WORKDIR /app
# Files stay root-owned and read-only for the runtime user: the server never writes to disk.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
# package.json makes dist/ ESM ("type": "module") and gives --version its number.
COPY package.json ./
COPY payloads ./payloads
COPY schema ./schema
USER node
EXPOSE 8000
# No curl in slim images: node itself asks /__mock/health.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/__mock/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: node is PID 1 and gets SIGTERM directly (the CLI installs its own handlers, which PID 1
# needs); mock-upstream drains for --grace (5 s, inside `docker stop`'s 10 s) and exits 0.
ENTRYPOINT ["node", "dist/src/cli.js"]
