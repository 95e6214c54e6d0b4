"""`make airflow-ui`: the Airflow UI over the demo's DAGs, bound to 127.0.0.1, stopped cleanly.

Runs ``airflow standalone`` with the demo's AIRFLOW_HOME, parallelism sized to the machine, and
SIGINT restored in the child so Ctrl-C (or ``kill -INT <pid>``) stops it and all its children.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from toolkit.demo.run import demo_environment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="demo", help="the demo folder (from `make demo`)")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    env = demo_environment(out, endpoint_url=None)
    # standalone starts `airflow ...` children: the venv's bin must be on PATH.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(AIRFLOW__API__HOST="127.0.0.1", AIRFLOW__API__PORT=str(args.port),
               AIRFLOW__CORE__PARALLELISM=str(max(2, os.cpu_count() or 2)))
    proc = subprocess.Popen([sys.executable, "-m", "airflow", "standalone"], env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    passwords = Path(env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated"
    print(f"Airflow UI starting on http://127.0.0.1:{args.port} (pid {proc.pid}); "
          f"login admin, password in {passwords}. Ctrl-C stops it.")
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGINT)
        try:
            return proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            return 1


if __name__ == "__main__":
    sys.exit(main())
