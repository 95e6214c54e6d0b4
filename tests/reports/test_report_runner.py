"""The report runner on a tiny notebook: parameters checked and typed, outputs per run,
offline HTML, failing cells, and a headless Chromium rendering."""

from __future__ import annotations

import hashlib

import pytest
from reports_helpers import assert_not_blank, png_pixels, screenshot, write_notebook

from toolkit import cli
from toolkit.reports import run_report
from toolkit.reports.html import external_references
from toolkit.reports.params import check_parameters, inspect_parameters, parse_assignments


def test_inspected_parameters_are_typed(tiny_notebook):
    params = inspect_parameters(tiny_notebook)
    assert {n: p["type"] for n, p in params.items()} == {
        "lake": "str", "n": "int", "scale": "float", "loud": "bool"}
    assert params["n"] == {"type": "int", "default": 3, "help": "bars to draw"}


def test_values_are_typed_and_unknown_names_refused(tiny_notebook):
    declared = inspect_parameters(tiny_notebook)
    typed = check_parameters(declared, {"n": "5", "scale": "2.5", "loud": "yes", "lake": "s3://b/l"})
    assert typed == {"n": 5, "scale": 2.5, "loud": True, "lake": "s3://b/l"}
    assert check_parameters(declared, {"n": 4, "scale": 2})["scale"] == 2.0
    with pytest.raises(ValueError, match="unknown parameter.*nn.*takes: lake"):
        check_parameters(declared, {"nn": "5"})
    for bad in ({"n": "five"}, {"n": True}, {"loud": "maybe"}, {"lake": 3}):
        with pytest.raises(ValueError, match="must be"):
            check_parameters(declared, bad)
    with pytest.raises(ValueError, match="key=value"):
        parse_assignments(["novalue"])
    assert parse_assignments(["subject=arn:aws:iam::1:user/a=b"]) == {"subject": "arn:aws:iam::1:user/a=b"}


def test_untyped_default_is_refused(tmp_path):
    nb = write_notebook(tmp_path / "untyped.ipynb", "subject = None  # who")
    with pytest.raises(ValueError, match="subject.*literal"):
        inspect_parameters(nb)


def test_run_writes_new_outputs_each_time_and_leaves_input_alone(tiny_notebook, tmp_path):
    before = hashlib.sha256(tiny_notebook.read_bytes()).hexdigest()
    out = tmp_path / "out"
    first = run_report(str(tiny_notebook), str(out), {"n": "4", "loud": "true"})
    second = run_report(str(tiny_notebook), str(out), {})
    assert hashlib.sha256(tiny_notebook.read_bytes()).hexdigest() == before
    assert first.run_id != second.run_id
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"tiny-{r.run_id}.{ext}" for r in (first, second) for ext in ("ipynb", "html"))
    import nbformat
    executed = nbformat.read(first.notebook, as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "bars 4 int float True" in printed  # the injected values arrived typed
    html = open(first.html, encoding="utf-8").read()
    assert external_references(html) == []
    assert "data:image/png;base64," in html
    assert "<script src" not in html and "require.js" not in html


def test_external_reference_check_catches_nbconvert_default(tiny_notebook, tmp_path):
    """The check can fail: nbconvert's stock lab template loads require.js from a CDN."""
    from nbconvert import HTMLExporter

    run = run_report(str(tiny_notebook), str(tmp_path), {})
    stock, _ = HTMLExporter(template_name="lab").from_filename(run.notebook)
    assert any("require" in ref for ref in external_references(stock))
    assert external_references('<link rel="stylesheet" href="https://x/y.css">') == ["https://x/y.css"]
    assert external_references("<style>@import url('https://f/x.css');</style>") == ["https://f/x.css"]
    assert external_references('<a href="https://aws.amazon.com/pricing">src</a>') == []


def test_cli_unknown_parameter_is_an_error(tmp_path, monkeypatch, capsys, tiny_notebook):
    monkeypatch.setenv("TRAILWATCH_NOTEBOOKS", str(tmp_path))
    tiny_notebook.rename(tmp_path / "cost_analysis.ipynb")
    code = cli.main(["report", "cost", "--lake", str(tmp_path), "-p", "bogus=1", "--out", str(tmp_path / "o")])
    assert code == 2
    assert "unknown parameter(s) bogus" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_cli_failing_cell_fails_with_the_cells_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TRAILWATCH_NOTEBOOKS", str(tmp_path))
    write_notebook(tmp_path / "cost_analysis.ipynb", 'lake: str = "x"  # lake',
                   "raise LookupError('no events for ' + lake)")
    out = tmp_path / "o"
    code = cli.main(["report", "cost", "--lake", "lake-a", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert "LookupError: no events for lake-a" in err
    assert [p.suffixes for p in out.iterdir()] == [[".failed", ".ipynb"]]  # no HTML for a failed run


def test_cli_run_prints_paths(tmp_path, monkeypatch, capsys, tiny_notebook):
    monkeypatch.setenv("TRAILWATCH_NOTEBOOKS", str(tmp_path))
    tiny_notebook.rename(tmp_path / "security_digest.ipynb")
    assert cli.main(["report", "digest", "--lake", "l", "-p", "n=2", "--out", str(tmp_path / "o")]) == 0
    printed = capsys.readouterr().out
    assert "html:" in printed and ".html" in printed


def test_tiny_report_renders_in_chromium(tiny_notebook, tmp_path):
    run = run_report(str(tiny_notebook), str(tmp_path), {"n": "6"})
    png = screenshot(tmp_path / run.html.split("/")[-1], tmp_path / "tiny.png", tmp_path / "profile")
    stats = assert_not_blank(png)
    _, _, colours = png_pixels(png)
    assert colours[bytes.fromhex("4c78a8")] > 1000, stats  # altair's bar colour is on screen


def test_blank_page_is_detected(tmp_path):
    """The not-blank check can fail: an empty page is one colour."""
    page = tmp_path / "blank.html"
    page.write_text("<html><body></body></html>")
    png = screenshot(page, tmp_path / "blank.png", tmp_path / "profile")
    with pytest.raises(AssertionError):
        assert_not_blank(png)


def test_outputs_go_to_s3_through_moto(tiny_notebook, moto_reset, monkeypatch):
    """An s3:// --out (moto's server over HTTP): both files land under the prefix."""
    import boto3

    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_reset)
    s3 = boto3.client("s3", endpoint_url=moto_reset, region_name="us-east-1")
    s3.create_bucket(Bucket="reports")
    run = run_report(str(tiny_notebook), "s3://reports/cost/run-1", {}, run_id="run-1")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="reports")["Contents"])
    assert keys == ["cost/run-1/tiny-run-1.html", "cost/run-1/tiny-run-1.ipynb"]
    assert run.html == "s3://reports/cost/run-1/tiny-run-1.html"
    body = s3.get_object(Bucket="reports", Key="cost/run-1/tiny-run-1.html")["Body"].read()
    assert b"data:image/png;base64," in body


def test_cli_choices_match_the_report_registry():
    from toolkit.reports import REPORTS
    from toolkit.reports.commands import REPORT_CHOICES

    assert set(REPORT_CHOICES) == set(REPORTS)
