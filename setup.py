"""Build hook: copy the top-level ``sql/``, ``notebooks/`` and ``dags/`` into the wheel.

They stay top-level in the repository (where analysts, Athena users and Airflow deployers look
for them) and ship inside the package as ``toolkit/_data/<folder>``; ``toolkit.resources``
finds either. Everything else about the build is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

FOLDERS = ("sql", "notebooks", "dags")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")


class BuildWithData(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # an editable install reads the repository's folders directly
            return
        root = Path(__file__).resolve().parent
        for name in FOLDERS:
            target = Path(self.build_lib) / "toolkit" / "_data" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(root / name, target, ignore=IGNORE)


setup(cmdclass={"build_py": BuildWithData})
