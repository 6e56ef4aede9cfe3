# NextFlow container image: the static binary with the dashboard embedded,
# on an empty base, running as an unprivileged user.
#
#   docker build -t nextflow:dev --build-arg VERSION=$(git describe --always) .
#   docker run -p 8080:8080 -v nextflow-data:/data nextflow:dev          # SQLite
#   docker run -e DATABASE_URL=postgres://… -e REDIS_URL=redis://… nextflow:dev serve --role api
#
# deploy/compose.yaml runs PostgreSQL, Redis, two API and two worker nodes
# behind a proxy; docs/operations.md describes the topology.

# ---- the dashboard: a static Next.js export ----
FROM node:20-bookworm-slim AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

# ---- the binary: CGO off (SQLite is pure Go), dashboard embedded ----
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd/ cmd/
COPY internal/ internal/
COPY api/ api/
COPY --from=web /src/web/out/ internal/webui/dist/
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/nextflow ./cmd/nextflow \
 && mkdir -p /out/data

# ---- runtime: nothing but the binary, CA roots and time zones ----
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /usr/share/zoneinfo /usr/share/zoneinfo
COPY --from=build /out/nextflow /nextflow
# 65532 is the conventional "nonroot" user of minimal images.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV NEXTFLOW_ADDR=:8080 \
    NEXTFLOW_DATA_DIR=/data \
    NEXTFLOW_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["/nextflow"]
CMD ["serve"]
