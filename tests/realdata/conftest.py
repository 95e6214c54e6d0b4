"""The public real-record corpus delivered as AWS lays it out, ingested, built and detected
through the CLI once per session (every test here reads this one lake)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.realdata import corpus


@dataclass
class Chain:
    tree: corpus.Tree
    raw: Path
    lake: Path
    work: Path
    ingest: dict[str, dict]   # day -> the ingest summary row
    build: dict[str, list]    # day -> build rows
    findings: list[dict]

    def cli(self, *args: str) -> int:
        from toolkit.cli import main

        return main([str(a) for a in args])

    def out(self, name: str) -> Path:
        return self.work / name


@pytest.fixture(scope="session")
def chain(tmp_path_factory) -> Chain:
    work = tmp_path_factory.mktemp("realdata")
    tree = corpus.build(work / "raw")
    c = Chain(tree, work / "raw", work / "lake", work, {}, {}, [])
    for day in map(str, tree.days()):
        assert c.cli("ingest", "--raw", c.raw, "--lake", c.lake, "--date", day,
                     "--format", "json", "--out", c.out(f"ingest-{day}.json")) == 0
        [c.ingest[day]] = json.loads(c.out(f"ingest-{day}.json").read_text())
    # build and detect per run of consecutive days (one call each: detect costs per call)
    for n, (start, end) in enumerate(corpus.day_runs(tree.days())):
        assert c.cli("build", "--lake", c.lake, "--start", start, "--end", end, "--format", "json",
                     "--out", c.out(f"build-{n}.json")) == 0
        for row in json.loads(c.out(f"build-{n}.json").read_text()):
            c.build.setdefault(row["day"], []).append(row)
        assert c.cli("detect", "--lake", c.lake, "--start", start, "--end", end, "--format", "json",
                     "--out", c.out(f"detect-{n}.json")) == 0
        text = c.out(f"detect-{n}.json").read_text()
        c.findings += [json.loads(line) for line in text.splitlines() if line.strip()]
    return c

