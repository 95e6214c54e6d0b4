"""JupyterLab 4 for real: a notebook imports toolkit, runs a named query, shows a chart offline.

A real `jupyter lab` server on 127.0.0.1 (started here, stopped by PID) and headless Chromium
(`make browser`) driven over the DevTools protocol: the test opens the notebook in JupyterLab,
runs every cell through JupyterLab's own command, and waits until the chart's canvas is drawn.
No network is needed: the vega libraries travel inside the output (toolkit.jupyter.offline).
The machine has no internet access besides package registries, so a CDN load would fail here.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

DAY = "2025-03-02"
TOKEN = "trailwatch-test-token"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {seconds} s")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # the group we started: server/browser + children
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> str:
    from toolkit.cli import main

    work = tmp_path_factory.mktemp("jl")
    assert main(["sample", "--out", str(work / "sample"), "--start", "2025-03-01", "--days", "2",
                 "--events-per-day", "300", "--seed", "5"]) == 0
    assert main(["ingest", "--raw", str(work / "sample" / "raw"), "--lake", str(work / "lake"),
                 "--date", DAY]) == 0
    assert main(["build", "--lake", str(work / "lake"), "--date", DAY]) == 0
    return str(work / "lake")


def _notebook(path: Path, lake: str) -> None:
    cells = [
        "import altair as alt\nimport toolkit.queries as q\nfrom toolkit.jupyter import show",
        f"top = q.top_talkers(lake={lake!r}, start={DAY!r}, end={DAY!r}, top=10)\n"
        "assert top['calls'].dtype.is_integer(), top.schema\ntop.head(3)",
        "show(alt.Chart(top).mark_bar().encode(x=alt.X('calls:Q', title='calls'),\n"
        "     y=alt.Y('principal:N', sort='-x', title=None)).properties(title='top talkers'))",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


class DevTools:
    """The few Chrome DevTools protocol calls the test needs, over one websocket."""

    def __init__(self, port: int):
        import websocket

        pages = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=5))
        page = next(p for p in pages if p["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30,
                                              suppress_origin=True)
        self.next_id = 0

    def call(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(reply["error"])
                return reply["result"]

    def js(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)
        return result["result"].get("value")

    def wait_for(self, expression: str, seconds: float):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.5)
        raise TimeoutError(f"never true within {seconds} s: {expression}")


CHART_STATE = """(() => {
  const charts = document.querySelectorAll('.trailwatch-chart');
  const drawn = document.querySelectorAll('.trailwatch-chart canvas, .trailwatch-chart svg');
  const errors = [...document.querySelectorAll('.jp-OutputArea-output[data-mime-type*="error"],'
      + ' .jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]')].map(e => e.innerText);
  const chartText = [...charts].map(c => c.innerText).join(' ');
  return (drawn.length || errors.length || chartText.includes('chart error'))
    ? {charts: charts.length, drawn: drawn.length, errors, chartText} : null;
})()"""


def test_chart_renders_offline_in_jupyterlab(lake, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed (make browser)")
    _notebook(tmp_path / "analysis.ipynb", lake)
    lab_port, cdp_port = _free_port(), _free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "jcfg"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "jrt"))
    lab = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
         f"--port={lab_port}", f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={tmp_path}",
         "--LabApp.expose_app_in_browser=True", "--ServerApp.open_browser=False", "--allow-root"],
        env=env, stdout=open(tmp_path / "lab.log", "w"), stderr=subprocess.STDOUT,
        start_new_session=True)
    browser = None
    try:
        _wait_http(f"http://127.0.0.1:{lab_port}/api/status?token={TOKEN}", 60)
        url = f"http://127.0.0.1:{lab_port}/lab/tree/analysis.ipynb?token={TOKEN}"
        browser = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             f"--remote-debugging-port={cdp_port}", "--remote-allow-origins=*",
             f"--user-data-dir={tmp_path / 'chromium'}", "--window-size=1400,1000", url],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        _wait_http(f"http://127.0.0.1:{cdp_port}/json/version", 30)
        tools = DevTools(cdp_port)
        tools.wait_for("!!(window.jupyterapp && window.jupyterapp.shell.currentWidget"
                       " && window.jupyterapp.shell.currentWidget.sessionContext"
                       " && window.jupyterapp.shell.currentWidget.sessionContext.session"
                       " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel)", 90)
        tools.wait_for("window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
                       ".status === 'idle'", 90)
        tools.js("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        state = tools.wait_for(CHART_STATE, 180)
        shot = tools.call("Page.captureScreenshot", format="png")["data"]
        (tmp_path / "jupyterlab.png").write_bytes(__import__("base64").b64decode(shot))
        assert not state["errors"], state["errors"]
        assert "chart error" not in state["chartText"], state["chartText"]
        assert state["charts"] == 1 and state["drawn"] >= 1, state
    finally:
        if browser is not None:
            _stop(browser)
        _stop(lab)
