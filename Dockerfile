# mock-upstream: `docker run -p 8000:8000 mock-upstream` (flags pass through: `... mock-upstream --workers 4`).
# Node 20 on Debian bookworm: the only pairing the native uWebSockets.js build loads on (see README).

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --ignore-scripts
COPY src ./src
RUN npx tsc -p tsconfig.build.json \
 && npm prune --omit=dev \
 # Keep only the Linux x64/arm64 binaries for Node 20 (ABI 115) and drop the pure-JS fallback's copies.
 && find node_modules/uWebSockets.js/binaries -type f ! -name 'uws_linux_x64_115.node' ! -name 'uws_linux_arm64_115.node' -delete \
 && rm -f node_modules/uWebSockets.js/dist/*.node

FROM node:20-bookworm-slim
LABEL org.opencontainers.image.title="mock-upstream" \
      org.opencontainers.image.description="The HTTP upstream for API-gateway benchmarks and gateway integration tests" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production \
    PORT=8000 \
    HOST=0.0.0.0 \
    WORKERS=auto \
    LOG_LEVEL=info
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY package.json ./
COPY payloads ./payloads
USER node
EXPOSE 8000
# No curl in slim images: node itself asks /__mock/health.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/__mock/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: node is PID 1 and gets SIGTERM directly; mock-upstream drains and exits 0.
ENTRYPOINT ["node", "dist/src/cli.js"]
