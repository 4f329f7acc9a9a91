"""Domain operations on Butlers: plain Python, no gRPC, testable without a server.

Each module here takes Butler clones from the factory (inside a worker thread) and returns plain
Python results or raises `lsst.cmservice.butler.gateway.errors.GatewayError` subclasses.
"""
