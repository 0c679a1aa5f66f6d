"""A local S3 server for the tests: moto in server mode, started once per run, a bucket per test.

Tests marked `s3` run with the media storage on a fresh bucket of it (tests/conftest.py);
the S3_* variables are set in the test's environment too, so that the workers and web
processes a test starts store their files in the same bucket.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# moto accepts any credentials; boto3 only wants some.
ACCESS_KEY = "cqpi-test"
SECRET_KEY = "cqpi-test-secret"
REGION = "eu-west-3"
START_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # it answers, whatever it says
    except OSError:
        return False


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """`python -m moto.server` on a free port of 127.0.0.1; yields its endpoint URL."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="cqpi-moto-") as folder:
        log = Path(folder, "moto.log")
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + START_SECONDS
            while not _answers(endpoint):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "the local S3 server (moto) did not start:\n"
                        + log.read_text(errors="replace")[-2000:]
                    )
                time.sleep(0.1)
            yield endpoint
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def environment(endpoint: str, bucket: str) -> dict[str, str]:
    """The variables that point cqpi's media storage (cqpi/settings/base.py) at `bucket`."""
    return {
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": endpoint,
        "S3_REGION": REGION,
        "S3_ACCESS_KEY_ID": ACCESS_KEY,
        "S3_SECRET_ACCESS_KEY": SECRET_KEY,
        "S3_ADDRESSING_STYLE": "path",
    }


def client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )


def create_bucket(endpoint: str) -> str:
    bucket = f"cqpi-test-{uuid.uuid4().hex[:12]}"
    client(endpoint).create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return bucket


def keys(endpoint: str, bucket: str) -> list[str]:
    """Every object name of the bucket, sorted."""
    names: list[str] = []
    paginator = client(endpoint).get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket):
        names += [item["Key"] for item in page.get("Contents", [])]
    return sorted(names)


def object_bytes(endpoint: str, bucket: str, key: str) -> bytes:
    return bytes(client(endpoint).get_object(Bucket=bucket, Key=key)["Body"].read())
