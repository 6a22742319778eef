#!/usr/bin/python3
"""cri-client.py SOCKET METHOD [REQUEST_JSON]: one call of the Kubernetes CRI
RuntimeService (cri-subset.proto) on a containerd socket, as a kubelet makes
it. The request is JSON in the proto's field names; the response is printed
as JSON (bytes fields in base64). Exits 1 with the gRPC error on stderr.

Debian's python3-grpcio and python3-grpc-tools (protoc) are all it needs; the
proto is compiled at each run into a temporary directory."""

import json
import os
import shutil
import sys
import tempfile

import grpc
from google.protobuf import json_format
from grpc_tools import protoc


def load_messages(tmp):
    here = os.path.dirname(os.path.abspath(__file__))
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    rc = protoc.main(["protoc", "-I", here, "-I", include, "--python_out=" + tmp, "cri-subset.proto"])
    if rc != 0:
        raise SystemExit("cri-client.py: protoc failed on cri-subset.proto")
    sys.path.insert(0, tmp)
    import cri_subset_pb2  # noqa: E402 (generated just above)
    return cri_subset_pb2


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.strip().splitlines()[0])
    socket, method = sys.argv[1], sys.argv[2]
    request_json = json.loads(sys.argv[3]) if len(sys.argv) == 4 else {}
    tmp = tempfile.mkdtemp(prefix="cri-client.")
    try:
        pb = load_messages(tmp)
        service = pb.DESCRIPTOR.services_by_name["RuntimeService"]
        rpc = service.methods_by_name.get(method)
        if rpc is None:
            sys.exit("cri-client.py: no method %s in cri-subset.proto" % method)
        request_type = getattr(pb, rpc.input_type.name)
        response_type = getattr(pb, rpc.output_type.name)
        request = json_format.ParseDict(request_json, request_type())
        with grpc.insecure_channel("unix://" + socket) as channel:
            call = channel.unary_unary(
                "/runtime.v1.RuntimeService/" + method,
                request_serializer=request_type.SerializeToString,
                response_deserializer=response_type.FromString,
            )
            try:
                response = call(request, timeout=60)
            except grpc.RpcError as e:
                sys.stderr.write("cri-client.py: %s: %s: %s\n" % (method, e.code().name, e.details()))
                sys.exit(1)
        print(json.dumps(json_format.MessageToDict(response, preserving_proto_field_name=True,
                                                   including_default_value_fields=True)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
