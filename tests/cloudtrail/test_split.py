"""split.read_records: the msgspec cut and the numpy cut hand out the same bytes, or fail alike.

The fast path (msgspec) only takes a cut it can prove; everything else goes to the numpy
splitter. Both must agree byte for byte on every file, at every piece size, including files
built to trap a cut by text search (``},{`` and ``]`` inside strings, duplicate keys).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json

import pytest

from tests.cloudtrail.conftest import delivered_texts
from toolkit.cloudtrail import split


def cut(data: bytes, fast: bool, chunk: int):
    digest, out = split.Digest(), []
    try:
        for _, records, _ in split.read_records(io.BytesIO(data), digest, chunk_bytes=chunk, fast=fast):
            out += [bytes(r) for r in records]
    except split.SplitError as exc:
        return out, digest, exc.reason
    return out, digest, None


def record(i: int, pad: str = "") -> str:
    return ('{"eventVersion":"1.09","eventID":"e' + str(i) + '","eventTime":"2025-03-06T10:00:00Z",'
            '"requestParameters":{"policy":"{\\"a\\":[1]},{\\"b\\":2}]","x":[{"k":"},{"},{"k":"]"}]},'
            '"note":"' + pad + '"}')


TRAPS = {
    "minified": '{"Records":[' + ",".join(record(i, "x" * (i * 37 % 300)) for i in range(400)) + "]}",
    "pretty": '{\n  "Records": [\n    ' + ",\n    ".join(record(i) for i in range(200)) + "\n  ]\n}\n",
    "trailing keys": '{"Records":[' + ",".join(record(i) for i in range(50)) + '],"x":[{"a":1},{"b":"]"}]}',
    "key before": '{"digest":{"a":[1,2]},"Records":[' + ",".join(record(i) for i in range(50)) + "]}",
    "scalars": '{"Records":[1, "two" ,null,{"eventID":"x"},[3],' + record(1) + "]}",
    "empty": '{"Records": [ ] }',
    "duplicate key": '{"Records":[' + record(1) + '],"Records":[' + record(2) + "]}",
    "escaped key": '{"Records":[' + record(1) + '],"Rec\\u006frds":[' + record(2) + "]}",
    "truncated": '{"Records":[' + ",".join(record(i) for i in range(100)) + ","[:-1],
    "bad value": '{"Records":[' + record(1) + ',{"eventID":"y",}' + "," + record(3) + "]}",
    "two documents": '{"Records":[' + record(1) + ']}{"Records":[]}',
    "not an object": '[' + record(1) + ']',
    "deep": '{"Records":[{"eventID":"d","r":' + '{"a":' * 2000 + "1" + "}" * 2000 + "}]}",
}


@pytest.mark.parametrize("name", sorted(TRAPS))
@pytest.mark.parametrize("chunk", [997, 64 * 1024, split.CHUNK_BYTES])
def test_fast_and_numpy_cuts_agree(name, chunk):
    data = gzip.compress(TRAPS[name].encode())
    fast, numpy = cut(data, True, chunk), cut(data, False, chunk)
    assert fast == numpy
    try:
        json.loads(TRAPS[name])
    except (ValueError, RecursionError):
        return  # not JSON: cut alike (bad records go to the engine, which quarantines them)
    if numpy[2] is None and "key" not in name:  # (json keeps the last of duplicate keys, the
        # splitter the first: both cuts above agree on that) the records are the delivered ones
        assert fast[0] == delivered_texts(data)


def test_fast_path_cuts_aws_files_without_numpy(real_records, monkeypatch):
    """AWS writes its files without whitespace: every piece of those is cut by msgspec (the
    numpy scan is ~5x slower), at any piece size."""
    def no_numpy(*_):
        raise AssertionError("numpy cut used")

    texts = [json.dumps(r, separators=(",", ":")).encode() for r in real_records]
    data = gzip.compress(b'{"Records":[' + b",".join(texts) + b"]}")
    monkeypatch.setattr(split, "_elements", no_numpy)
    text = gzip.decompress(data)
    for chunk in (4096, 64 * 1024, split.CHUNK_BYTES):
        assert cut(data, True, chunk) == (texts, split.Digest(len(texts), len(text),
                                                             hashlib.sha256(text).hexdigest()), None)
