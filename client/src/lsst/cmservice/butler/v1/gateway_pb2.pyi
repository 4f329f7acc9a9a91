from lsst.cmservice.butler.v1 import environment_pb2 as _environment_pb2
from lsst.cmservice.butler.v1 import planning_pb2 as _planning_pb2
from lsst.cmservice.butler.v1 import queries_pb2 as _queries_pb2
from lsst.cmservice.butler.v1 import collections_pb2 as _collections_pb2
from lsst.cmservice.butler.v1 import repositories_pb2 as _repositories_pb2
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor
