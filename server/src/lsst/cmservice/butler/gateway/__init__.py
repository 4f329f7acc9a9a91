"""The CM Service Butler gateway: a gRPC sidecar serving pre-cached Butlers."""
