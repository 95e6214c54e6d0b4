"""The built wheel works outside the repository: SQL, notebooks and DAGs ship inside it.

How the fresh environment is made (honest and fast): ``pip wheel`` builds the wheel from this
checkout (the real build, with setup.py's hook); a new venv is created *outside* the repo
without pip; its dependencies come from the test's own environment through a ``.pth`` to a
folder of links to that environment's site-packages *minus* any trailwatch install (the
editable one would put the repo back on ``sys.path``). Then ``pip install --no-index`` installs
the wheel with the ``[demo]`` extra and ``-c constraints.txt`` into the venv: pip checks every
declared requirement against the already installed, pinned set (a bound that excludes the
verified versions fails here) and installs only trailwatch — no download, about ten seconds.
The resolve time of an unpinned install from PyPI is measured separately (README).

The commands run from a directory with no repo in sight, with no ``trailwatch`` Jupyter
kernel installed, so the report also proves the kernel fallback (this interpreter).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def _run(cmd, cwd, env, timeout=600):
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{cmd}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _deps_without_trailwatch(target: Path) -> Path:
    """Links to this environment's packages, leaving out every trace of a trailwatch install."""
    site = Path(sysconfig.get_paths()["purelib"])
    target.mkdir()
    for entry in site.iterdir():
        name = entry.name.lower()
        if name.startswith(("trailwatch", "__editable__", "toolkit")) or name.endswith(".pth"):
            continue
        (target / entry.name).symlink_to(entry)
    return target


def _jupyter_data(venv: Path) -> None:
    """The Jupyter data files pip would have put in the venv (nbconvert's templates, ipykernel's
    ``python3`` kernelspec), linked from this environment -- never a ``trailwatch`` kernel."""
    source = Path(sys.prefix) / "share" / "jupyter"
    target = venv / "share" / "jupyter"
    target.mkdir(parents=True)
    for entry in source.iterdir():
        if entry.name != "kernels":
            (target / entry.name).symlink_to(entry)
    (target / "kernels").mkdir()
    if (source / "kernels" / "python3").is_dir():
        (target / "kernels" / "python3").symlink_to(source / "kernels" / "python3")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    base = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(base / "dist"),
          str(REPO)], cwd=base, env=env)
    wheel = next((base / "dist").glob("trailwatch-*.whl"))
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=base, env=env)
    deps = _deps_without_trailwatch(base / "deps")
    venv_site = next((venv / "lib").glob("python3.*/site-packages"))
    (venv_site / "_deps.pth").write_text(f"{deps}\n")
    _jupyter_data(venv)
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-index",
          "--find-links", str(wheel.parent), "-c", str(REPO / "constraints.txt"),
          "trailwatch[demo]"], cwd=base, env=env)
    return {"wheel": wheel, "venv": venv, "bin": venv / "bin" / "trailwatch", "env": env,
            "work": base}


def test_wheel_carries_sql_notebooks_and_dags(installed):
    names = zipfile.ZipFile(installed["wheel"]).namelist()
    for folder in ("sql", "notebooks", "dags"):
        shipped = {n.split(f"toolkit/_data/{folder}/", 1)[1] for n in names
                   if n.startswith(f"toolkit/_data/{folder}/")}
        in_repo = {p.relative_to(REPO / folder).as_posix() for p in (REPO / folder).rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts}
        assert shipped == in_repo, folder


def test_installed_package_is_not_the_checkout(installed):
    code = "import toolkit, toolkit.resources as r; print(toolkit.__file__); print(r.folder('sql'))"
    out = _run([str(installed["venv"] / "bin" / "python"), "-c", code], cwd=installed["work"],
               env=installed["env"]).splitlines()
    assert str(installed["venv"]) in out[0] and str(REPO) not in out[0]
    assert out[1].endswith("toolkit/_data/sql") and str(installed["venv"]) in out[1]


def test_packaged_dags_parse(installed):
    """Airflow can be pointed at the installed DAG files (README, production step 5)."""
    code = ("from toolkit.resources import folder\n"
            "from airflow.dag_processing.dagbag import DagBag\n"
            "bag = DagBag(str(folder('dags')))\n"
            "assert not bag.import_errors, bag.import_errors\n"
            "print(sorted(bag.dags))")
    env = dict(installed["env"], AIRFLOW_HOME=str(installed["work"] / "airflow"),
               AIRFLOW__CORE__LOAD_EXAMPLES="False")
    out = _run([str(installed["venv"] / "bin" / "python"), "-c", code], cwd=installed["work"], env=env)
    assert out.strip().splitlines()[-1] == str(sorted(
        ["cloudtrail_daily", "cloudwatch_daily", "cost_report", "forensic_investigation"]))


def test_cli_end_to_end_from_another_directory(installed):
    work, env, tw = installed["work"] / "elsewhere", dict(installed["env"]), str(installed["bin"])
    work.mkdir()
    env["JUPYTER_DATA_DIR"] = str(work / "jupyter-user")  # no user-installed kernel either
    day = "2025-03-02"
    _run([tw, "sample", "--out", "sample", "--start", "2025-03-01", "--days", "2",
          "--events-per-day", "300", "--seed", "3"], work, env)
    truth = json.loads((work / "sample" / "truth" / "incident.json").read_text())
    _run([tw, "ingest", "--raw", "sample/raw", "--lake", "lake", "--date", day], work, env)
    _run([tw, "build", "--lake", "lake", "--date", day], work, env)
    out = _run([tw, "query", "--lake", "lake", "--name", "events_for_access_key", "-p",
                f"access_key={truth['incident']['access_key_id']}", "-p", f"start={day}",
                "-p", f"end={day}", "--format", "csv"], work, env)
    assert len(out.strip().splitlines()) > 1, out
    _run([tw, "detect", "--lake", "lake", "--start", day, "--end", day], work, env)
    assert list((work / "lake").rglob("findings*/dt=*/*.parquet")) or \
        list((work / "lake").rglob("*findings*/**/*.parquet"))
    _run([tw, "report", "forensic", "--lake", "lake", "-p", "subject_type=access_key",
          "-p", f"subject={truth['incident']['access_key_id']}", "-p", f"start={day}",
          "-p", f"end={day}", "--out", "reports"], work, env, timeout=900)
    code = "from jupyter_client.kernelspec import find_kernel_specs as f; print(sorted(f()))"
    kernels = _run([str(installed["venv"] / "bin" / "python"), "-c", code], work, env)
    assert "trailwatch" not in kernels, "the report must have run without a trailwatch kernel"
    html = list((work / "reports").glob("*.html"))
    assert html and html[0].stat().st_size > 10_000


def test_demo_without_the_demo_extra_says_what_to_install(tmp_path):
    """Without moto (a plain `pip install trailwatch`): one line naming the extra, exit 2."""
    code = ("import sys, importlib.util as u\n"
            "real = u.find_spec\n"
            "u.find_spec = lambda name, *a: None if name == 'moto' else real(name, *a)\n"
            "from toolkit.cli import main\n"
            f"sys.exit(main(['demo', '--out', {str(tmp_path / 'demo')!r}]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert "pip install 'trailwatch[demo]'" in done.stderr and "Traceback" not in done.stderr
