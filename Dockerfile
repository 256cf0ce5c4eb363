# syntax=docker/dockerfile:1
# The Redwing operator image: one image for both commands (`redwing webhook`, `redwing reconciler`).
#   docker build -t ghcr.io/redwing-dev/redwing:0.1.0 .
#   docker build --build-arg VERSION=0.2.0 --build-arg REVISION=$(git rev-parse HEAD) -t <registry>/redwing:0.2.0 .
# The final stage is exactly the folder scripts/assemble-image.mjs makes (`npm run image:assemble -- <dir>` makes the
# same folder without Docker, and test/image/ runs the commands from it): compiled dist/, manifests/, bin/redwing.js
# and the production dependencies without tsx. The list of what goes in lives in that script only.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: no install script of any dependency runs in the build.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN node scripts/assemble-image.mjs /image

FROM ${NODE_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="redwing" \
      org.opencontainers.image.description="Kubernetes operator for Redis-compatible datastores: admission webhook and reconciler" \
      org.opencontainers.image.source="https://github.com/redwing-dev/redwing" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="redwing-dev" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
# REDWING_RUN_FROM=dist: the image has no tsx and no TypeScript sources, so never fall back to them.
ENV NODE_ENV=production \
    REDWING_RUN_FROM=dist
WORKDIR /app
# Owned by root and not writable by the process: it runs with a read-only root filesystem (a /tmp emptyDir in the
# Deployments is its only writable path, and nothing in the image needs it).
COPY --from=build --chown=0:0 /image/ /app/
RUN ln -s /app/bin/redwing.js /usr/local/bin/redwing
# The numeric user of the Deployments (runAsUser 65532): a name is not enough for runAsNonRoot to verify.
USER 65532:65532
ENTRYPOINT ["node", "/app/bin/redwing.js"]
CMD ["--help"]
