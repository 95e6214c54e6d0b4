"""Helpers for report tests: tiny notebooks, headless Chromium screenshots, PNG inspection
(stdlib only: zlib + struct, no Pillow)."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from pathlib import Path

import pytest

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def write_notebook(path: Path, parameters: str, *cells: str) -> Path:
    """A notebook on the trailwatch kernel: a markdown title, the parameters cell, code cells."""
    import nbformat as nbf

    nb = nbf.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "trailwatch", "display_name": "trailwatch (Python 3)",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    params = nbf.v4.new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbf.v4.new_markdown_cell(f"# {path.stem}"), params,
                *(nbf.v4.new_code_cell(c) for c in cells)]
    nbf.write(nb, str(path))
    return path



# ---- headless Chromium ----

def chromium_binary() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def screenshot(html: Path, png: Path, profile: Path) -> Path:
    """Render a local HTML file to a 1280x2000 PNG with headless Chromium (no network)."""
    binary = chromium_binary()
    if binary is None:
        pytest.skip("chromium is not installed (make browser / apt-get install chromium)")
    cmd = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}",
           "--window-size=1280,2000", html.resolve().as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert png.exists(), f"chromium wrote no screenshot (exit {done.returncode}): {done.stderr[-2000:]}"
    return png


# ---- PNG decoding (stdlib only: zlib + struct) ----

def _swar_add(a: int, b: int, lo: int, hi: int) -> int:
    """Byte-wise (a + b) mod 256 of two big integers holding byte strings."""
    return ((a & lo) + (b & lo)) ^ ((a ^ b) & hi)


def _unfilter_row(kind: int, row: bytes, prev: bytes, bpp: int) -> bytes:
    n = len(row)
    if kind == 0:
        return row
    lo, hi = int.from_bytes(b"\x7f" * n, "big"), int.from_bytes(b"\x80" * n, "big")
    if kind == 2:  # Up
        out = _swar_add(int.from_bytes(row, "big"), int.from_bytes(prev, "big"), lo, hi)
        return out.to_bytes(n, "big")
    if kind == 1:  # Sub: a prefix sum per channel, done as a log-step scan
        x, step = int.from_bytes(row, "big"), bpp
        while step < n:
            x = _swar_add(x, x >> (8 * step), lo, hi)
            step *= 2
        return x.to_bytes(n, "big")
    out = bytearray(row)
    for i in range(n):
        a = out[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if kind == 3:  # Average
            out[i] = (out[i] + ((a + b) >> 1)) & 0xFF
        else:  # Paeth
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            out[i] = (out[i] + pred) & 0xFF
    return bytes(out)


def png_pixels(path: Path, every_nth_row: int = 4) -> tuple[int, int, Counter]:
    """(width, height, Counter of RGB colours over every n-th row) of an 8-bit RGB/RGBA PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pos, idat, header = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"unsupported PNG {header}"
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(b"".join(idat)), width * bpp + 1
    prev, colours = bytes(width * bpp), Counter()
    for y in range(height):
        line = raw[y * stride:(y + 1) * stride]
        prev = _unfilter_row(line[0], line[1:], prev, bpp)
        if y % every_nth_row == 0:
            colours.update(prev[i:i + 3] for i in range(0, len(prev), bpp))
    return width, height, colours


def assert_not_blank(png: Path, min_colours: int = 32, min_share: float = 0.01) -> dict:
    """A rendered page: many colours, and a share of pixels off the background colour."""
    width, height, colours = png_pixels(png)
    total = sum(colours.values())
    background, count = colours.most_common(1)[0]
    stats = {"size": (width, height), "distinct_colours": len(colours),
             "non_background_share": round(1 - count / total, 4), "background": background.hex()}
    assert stats["distinct_colours"] >= min_colours, stats
    assert stats["non_background_share"] >= min_share, stats
    return stats


# ---- a sample lake built with whatever upstream pieces exist ----

def _ingest_stand_in(raw: Path, lake_url: str, days: list[str]) -> None:
    """Until ``toolkit.cloudtrail.ingest_day`` lands: the ingest's own record flattener over
    every raw file, deduplicated by event id, one partition per day (no quarantine/manifest)."""
    import gzip
    import json

    import pyarrow.compute as pc

    from toolkit.cloudtrail import events_from_records
    from toolkit.lake import Lake

    records, seen = [], set()
    for path in sorted(raw.rglob("*.json.gz")):
        if "CloudTrail-Digest" in path.parts:
            continue
        for record in json.loads(gzip.decompress(path.read_bytes()))["Records"]:
            if record["eventID"] not in seen:
                seen.add(record["eventID"])
                records.append(record)
    table = events_from_records(records, source_file="stand-in")
    lake = Lake.at(lake_url)
    day_of = pc.strftime(table["event_time"], format="%Y-%m-%d")
    for day in days:
        lake.write_parquet("events", day, table.filter(pc.equal(day_of, day)))


def build_sample_lake(root: Path, *, start: str = "2025-03-03",
                      days: int = 3, events_per_day: int = 800) -> dict:
    """``trailwatch sample`` + ingest + build + detect + EC2 metrics/anomalies into ``root/lake``.

    Returns paths, the truth file and ``skipped``: the upstream steps that were absent.
    """
    import datetime as dt
    import json

    from toolkit.config import Settings
    from toolkit.lake import day_range
    from toolkit.sample import generate_account

    sample, lake_url, skipped = root / "sample", str(root / "lake"), []
    generate_account(sample, start=start, days=days, events_per_day=events_per_day)
    day_list = [d.isoformat() for d in day_range(start, dt.date.fromisoformat(start) + dt.timedelta(days - 1))]
    ingest_day = None
    if os.environ.get("TRAILWATCH_REPORTS_REAL_INGEST") == "1":
        from toolkit.cloudtrail import ingest_day
    if ingest_day is None:
        # The ingest's own flattener (events_from_records, "same code path as the ingest"):
        # ingest_day takes minutes per sample day on this shared machine today.
        skipped.append("events written with events_from_records, not ingest_day "
                       "(set TRAILWATCH_REPORTS_REAL_INGEST=1 for the real ingest)")
        _ingest_stand_in(sample / "raw", lake_url, day_list)
    else:
        for day in day_list:
            ingest_day(str(sample / "raw"), lake_url, day)
    from toolkit.engines import connect
    from toolkit.sql.models import model_names

    engine = connect(Settings(lake=lake_url, raw=str(sample / "raw")))
    for day in day_list:
        for model in model_names():
            engine.run_model(model, day)
    try:
        from toolkit.detections import run_detections
    except (ImportError, AttributeError):
        run_detections = None
    if run_detections is None:
        skipped.append("run_detections absent: no findings table")
    else:
        run_detections(lake_url, day_list[0], day_list[-1])
    truth = json.loads((sample / "truth" / "incident.json").read_text())
    _load_metrics(sample, lake_url, truth, day_list)
    return {"lake": lake_url, "raw": str(sample / "raw"), "sample": str(sample), "days": day_list,
            "truth": truth, "skipped": skipped}


def _load_metrics(sample: Path, lake_url: str, truth: dict, days: list[str]) -> None:
    """The sample's EC2 CPU/memory series into ``metrics`` through the CSV import (the console
    export path: no moto round trip, which takes minutes for ~300k datapoints), then anomalies.
    CWAgent series carry InstanceType for the instances the truth file names (append_dimensions).
    """
    import json

    from toolkit.cloudwatch import detect_anomalies, import_csv

    types = {r["instance_id"]: r["instance_type"] for r in truth.get("rightsizing", [])}
    shift = truth["metric_shift"]
    types.setdefault(shift["resource_id"], shift.get("previous_instance_type"))
    series: dict[tuple, list[str]] = {}
    for path in sorted((sample / "cloudwatch").glob("*/*/metrics-*.json")):
        doc = json.loads(path.read_text())
        for r in doc["MetricDataResults"]:
            if r["MetricName"] not in ("CPUUtilization", "mem_used_percent") or r["Namespace"] == "AWS/RDS":
                continue
            dims = {d["Name"]: d["Value"] for d in r["Dimensions"]}
            if r["Namespace"] == "CWAgent" and types.get(dims.get("InstanceId")):
                dims["InstanceType"] = types[dims["InstanceId"]]
            key = (doc["AccountId"], doc["Region"], r["Namespace"], r["MetricName"], json.dumps(dims))
            series.setdefault(key, []).extend(
                f"{t},{v}" for t, v in zip(r["Timestamps"], r["Values"], strict=True))
    for n, ((account, region, namespace, metric, dims), lines) in enumerate(sorted(series.items())):
        csv = sample / f"series-{n}.csv"
        csv.write_text("timestamp,value\n" + "\n".join(sorted(lines)) + "\n")
        import_csv(csv, lake_url, namespace, metric, dimensions=json.loads(dims),
                   account_id=account, region=region)
    for day in days:
        detect_anomalies(lake_url, day)


# ---- layout checks: images and tables that fit the page ----

_MEASURE_JS = """<script>
window.addEventListener('load', () => {
  const page = document.documentElement.clientWidth;
  const wide = [];
  document.querySelectorAll('table').forEach((t, i) => {
    const box = t.getBoundingClientRect(), holder = t.parentElement;
    if (box.right > page + 1 || holder.scrollWidth > holder.clientWidth + 1)
      wide.push({table: i, right: Math.round(box.right), page: page, scroll: holder.scrollWidth,
                 client: holder.clientWidth, head: t.querySelector('tr').innerText.slice(0, 120)});
  });
  const out = document.createElement('pre');
  out.id = 'layout-result';
  out.textContent = JSON.stringify({page: page, scroll: document.documentElement.scrollWidth,
                                    tables: document.querySelectorAll('table').length, wide: wide});
  document.body.appendChild(out);
});
</script>"""


def measure_tables(html: Path, workdir: Path, width: int = 1280) -> dict:
    """Open the report in headless Chromium at ``width`` px and measure every table:
    ``wide`` lists tables whose right edge passes the page or whose container scrolls."""
    import json
    import re

    binary = chromium_binary()
    if binary is None:
        pytest.skip("chromium is not installed (make browser / apt-get install chromium)")
    copy = workdir / f"measure-{html.name}"
    copy.write_text(html.read_text(encoding="utf-8").replace("</body>", _MEASURE_JS + "</body>"),
                    encoding="utf-8")
    cmd = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={workdir / 'profile'}", "--dump-dom",
           "--virtual-time-budget=5000", f"--window-size={width},1000", copy.resolve().as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    found = re.search(r'<pre id="layout-result">(.*?)</pre>', done.stdout, re.S)
    assert found, f"chromium gave no measurement (exit {done.returncode}): {done.stderr[-2000:]}"
    import html as html_lib

    return json.loads(html_lib.unescape(found.group(1)))


def embedded_png_sizes(html_text: str) -> list[tuple[int, int]]:
    """(width, height) in pixels of every base64 PNG embedded in the HTML (from IHDR)."""
    import base64
    import re

    sizes = []
    for data in re.findall(r'data:image/png;base64,([A-Za-z0-9+/=\s]+)', html_text):
        head = base64.b64decode(re.sub(r"\s", "", data[:128])[:64])
        sizes.append(struct.unpack(">II", head[16:24]))
    return sizes
