# Multi-stage build of the datanika binary with the SPA embedded. Used by docker-compose.yml.
FROM node:20-bookworm AS web
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY openapi.yaml /src/openapi.yaml
COPY frontend/ ./
RUN npm run build

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=web /src/frontend/dist ./frontend/dist
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -tags minicore_disabled \
      -ldflags "-s -w -X github.com/datanika/datanika/internal/buildinfo.version=${VERSION}" \
      -o /out/datanika ./cmd/datanika

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/datanika /usr/local/bin/datanika
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/datanika"]
CMD ["serve"]
