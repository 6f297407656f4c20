# Naamio: a static binary on a minimal base, running as a non-root user.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/naamio . \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/naamio /naamio
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
VOLUME ["/data"]
EXPOSE 8080
ENV NAAMIO_LISTEN=0.0.0.0:8080 \
    NAAMIO_DATA=/data \
    NAAMIO_BASE_URL=http://localhost:8080/
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/naamio", "health"]
ENTRYPOINT ["/naamio"]
CMD ["serve"]
