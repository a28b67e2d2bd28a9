# syntax=docker/dockerfile:1

# Build: a static binary. The golang images set GOTOOLCHAIN=local, so this image's Go must be at
# least the `go` line in go.mod (1.26.8); the 1.26 tag follows the latest 1.26.x patch release.
FROM golang:1.26-bookworm AS build
WORKDIR /src

# Modules first, in their own layer, so that editing code does not download them again.
COPY go.mod go.sum ./
RUN go mod download

COPY . .
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/cronflow .

# Run: distroless static has CA certificates (webhooks, SMTP over TLS) and tzdata (cron time zones),
# but no shell: the healthcheck is the binary's own, which asks this container's /readyz.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/cronflow /cronflow
USER 65532:65532
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=8s --start-period=60s --retries=3 CMD ["/cronflow", "healthcheck"]
ENTRYPOINT ["/cronflow"]
CMD ["serve"]
