"""Generated gRPC stubs for lsst.cmservice.butler.v1 (do not edit: run `make protos`)."""
