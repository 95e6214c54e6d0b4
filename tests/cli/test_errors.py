"""Every failure reaching the command line is one line with a documented exit code, no traceback.

Cases from issue 12 item 9; each runs the real command (most in a child process, so stderr is
exactly what a user sees).
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile

import pytest

from tests.cli.conftest import DAYS, REPO, one_line_error, run_cli
from toolkit.cli import main
from toolkit.errors import EXIT_FAILURE, EXIT_OK, EXIT_USAGE


def test_lake_that_is_a_file(sample_lake, tmp_path):
    lake_file = tmp_path / "lake.txt"
    lake_file.write_text("x")
    done = run_cli("ingest", "--raw", sample_lake["raw"], "--lake", str(lake_file), "--date", DAYS[0])
    assert done.returncode == EXIT_USAGE
    assert f"lake {lake_file} is a file" in one_line_error(done.stderr, "ingest")
    assert lake_file.read_text() == "x"


def _unprivileged() -> list[str]:
    """A command prefix under which file modes hold: root ignores them unless it drops the
    capabilities that override them (util-linux ``setpriv``)."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: a read-only folder is writable")
    return ["setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_read_only_lake_fails_before_any_work(sample_lake):
    """The check comes first: nothing is read from raw, no scratch space is used, the lake is as
    it was. (Before: the ingest read and flattened the whole day, then failed on the write.)"""
    root = tempfile.mkdtemp(prefix="tw-readonly-")
    try:
        os.chmod(root, 0o755)
        lake, raw = os.path.join(root, "lake"), os.path.join(root, "raw")
        shutil.copytree(sample_lake["raw"], raw)
        # An Iceberg lake's catalog records where its tables live, so the lake is made in place
        # (a copied lake folder would point at the original's tables).
        subprocess.run([sys.executable, "-m", "toolkit", "ingest", "--raw", raw, "--lake", lake,
                        "--date", DAYS[0]], check=True, capture_output=True,
                       env={**os.environ, "PYTHONPATH": str(REPO)})
        before = sorted(os.path.join(d, f) for d, _, fs in os.walk(lake) for f in fs)
        for d, dirs, files in os.walk(root):
            for name in dirs + files:
                mode = os.stat(os.path.join(d, name)).st_mode
                os.chmod(os.path.join(d, name), (mode | 0o555) & ~0o222)
        os.chmod(lake, 0o555)
        env = {**os.environ, "PYTHONPATH": str(REPO), "HOME": root, "TMPDIR": tempfile.gettempdir()}
        for argv in (["ingest", "--raw", raw, "--lake", lake, "--date", DAYS[0]],
                     ["detect", "--lake", lake, "--date", DAYS[0]],
                     ["build", "--lake", lake, "--date", DAYS[0]]):
            done = subprocess.run([*_unprivileged(), sys.executable, "-m", "toolkit", *argv],
                                  capture_output=True, text=True, env=env, timeout=120)
            assert done.returncode == EXIT_USAGE, done.stderr
            line = one_line_error(done.stderr, argv[0])
            assert f"lake {lake} is not writable" in line
            assert "progress" not in done.stderr  # no raw file was read
        after = sorted(os.path.join(d, f) for d, _, fs in os.walk(lake) for f in fs)
        assert after == before
    finally:
        for d, dirs, _ in os.walk(root):
            for name in dirs:
                os.chmod(os.path.join(d, name), stat.S_IRWXU)
        os.chmod(root, stat.S_IRWXU)
        shutil.rmtree(root)


def test_out_of_the_wrong_kind(sample_lake, tmp_path, capsys):
    folder, file = tmp_path / "folder", tmp_path / "file.json"
    folder.mkdir()
    file.write_text("{}")
    lake = sample_lake["lake"]
    cases = [
        (["export", "--lake", lake, "--date", DAYS[0], "--out", str(folder)], "is a folder"),
        (["query", "--lake", lake, "--sql", "select 1 as x", "--out", str(folder)], "is a folder"),
        (["investigate", "--lake", lake, "--date", DAYS[0], "--ip", "203.0.113.10", "--out", str(file)],
         "is a file"),
        (["report", "forensic", "--lake", lake, "--date", DAYS[0], "--out", str(file)], "is a file"),
        (["export", "--lake", lake, "--date", DAYS[0], "--out", str(tmp_path / "missing" / "x.json")],
         f"folder {tmp_path / 'missing'} does not exist; create it first"),
    ]
    for argv, expected in cases:
        assert main(argv) == EXIT_USAGE, argv
        err = capsys.readouterr().err
        assert expected in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert file.read_text() == "{}" and not any(folder.iterdir())
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("day, reason", [("9999-12-31", "is in the future"),
                                         ("2012-06-01", "before CloudTrail existed"),
                                         ("2025-02-30", "expected a date as YYYY-MM-DD")])
def test_out_of_range_dates(sample_lake, day, reason):
    done = run_cli("detect", "--lake", sample_lake["lake"], "--date", day)
    assert done.returncode == EXIT_USAGE
    assert reason in one_line_error(done.stderr, "detect")


def test_metrics_days_are_bounded_by_cloudwatch_not_cloudtrail(tmp_path, capsys):
    """CloudWatch (May 2009) predates CloudTrail (November 2013): public metric series from 2013
    are scored; a day before CloudWatch existed is refused the same way as for CloudTrail verbs."""
    lake = str(tmp_path / "lake")
    csv = tmp_path / "series.csv"
    csv.write_text("timestamp,value\n2013-10-09 16:25:00,1.0\n2013-10-09 16:30:00,2.0\n")
    assert main(["metrics", "import", "--csv", str(csv), "--namespace", "AWS/EC2", "--metric",
                 "NetworkIn", "--lake", lake]) == 0
    assert main(["metrics", "anomalies", "--lake", lake, "--date", "2013-10-09"]) == 0
    assert "anomalies 2013-10-09: 0 of 2 datapoints" in capsys.readouterr().out
    assert main(["metrics", "anomalies", "--lake", lake, "--date", "2009-04-30"]) == EXIT_USAGE
    assert "before CloudWatch existed (May 2009)" in capsys.readouterr().err


def test_unknown_table_in_sql(sample_lake, capsys):
    assert main(["query", "--lake", sample_lake["lake"], "--sql",
                 "with e as (select * from events) select * from e join evnts using (event_id)"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "unknown table(s) evnts in --sql" in err and "events" in err.split("tables are:")[1]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_endpoint(tmp_path):
    env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{_closed_port()}", "AWS_MAX_ATTEMPTS": "1",
           "AWS_RETRY_MODE": "standard"}
    done = run_cli("ingest", "--raw", "s3://trail-bucket/raw", "--lake", str(tmp_path / "lake"),
                   "--date", DAYS[0], env=env)
    assert done.returncode == EXIT_USAGE
    line = one_line_error(done.stderr, "ingest")
    assert "cannot reach the endpoint" in line and "AWS_ENDPOINT_URL" in line


def test_stdout_closed_by_the_reader_is_quiet_and_the_work_completes(sample_lake, tmp_path):
    """`ingest ... | head -1`: the reader leaves after one line; the ingest still lands both days."""
    lake = str(tmp_path / "lake")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "toolkit", "ingest", "--raw", sample_lake["raw"], "--lake", lake,
           "--start", DAYS[0], "--end", DAYS[1]]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    first = proc.stdout.readline()
    proc.stdout.close()  # what `head -1` does
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == EXIT_OK
    assert first.startswith(b"ingest " + DAYS[0].encode())
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr and "error" not in stderr
    from toolkit.lake import Lake

    assert [d.isoformat() for d in Lake.at(lake).days("events")] == list(DAYS)


def test_unexpected_failure_is_one_line_with_a_hint_and_v_shows_the_traceback(monkeypatch, capsys):
    def boom(*_a, **_k):
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr("toolkit.engines.commands._list_queries", boom)
    assert main(["query", "--list"]) == EXIT_FAILURE
    err = capsys.readouterr().err
    assert err.strip() == ("trailwatch query: error: unexpected RuntimeError: disk on fire "
                           "(rerun with -v for the traceback)")
    assert main(["query", "--list", "-v"]) == EXIT_FAILURE
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "disk on fire" in err
