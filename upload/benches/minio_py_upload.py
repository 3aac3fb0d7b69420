"""The Python SDK's upload algorithm (pymilvus volume_file_manager.py,
§3.3 of the reference): five files at a time, each one minio
`fput_object` with the SDK's part size
`roundup_MiB(max(5 MiB, ceil(size/1000), ceil(size/10000)))`.

    minio_py_upload.py ENDPOINT BUCKET PREFIX DIR   (keys from AWS_* variables)
"""
import math
import os
import sys
from concurrent.futures import ThreadPoolExecutor

from minio import Minio

MIB = 1 << 20


def part_size(size):
    want = max(5 * MIB, math.ceil(size / 1000), math.ceil(size / 10000))
    return math.ceil(want / MIB) * MIB


def main():
    endpoint, bucket, prefix, folder = sys.argv[1:5]
    client = Minio(endpoint.split("://", 1)[1], access_key=os.environ["AWS_ACCESS_KEY_ID"],
                   secret_key=os.environ["AWS_SECRET_ACCESS_KEY"],
                   secure=endpoint.startswith("https://"), region="us-east-1")
    files = sorted(os.listdir(folder))

    def one(name):
        path = os.path.join(folder, name)
        client.fput_object(bucket, f"{prefix}/{name}", path, part_size=part_size(os.path.getsize(path)))

    with ThreadPoolExecutor(max_workers=5) as pool:
        list(pool.map(one, files))


if __name__ == "__main__":
    main()
