"""The ``trailwatch`` Jupyter kernel: install it anywhere, and run reports without it.

``install_kernel`` writes a kernelspec whose command is *this* interpreter, so a JupyterLab
from another environment (``--user``) or this venv's own (``--sys-prefix``) can run notebooks
with trailwatch importable. ``report_kernel`` is what ``trailwatch report`` runs on: the
installed ``trailwatch`` kernel when there is one, else this interpreter directly.
"""

from __future__ import annotations

import logging
import sys

KERNEL_NAME = "trailwatch"
DISPLAY_NAME = "trailwatch (Python 3)"

log = logging.getLogger(__name__)


def install_kernel(*, user: bool = False, prefix: str | None = None,
                   name: str = KERNEL_NAME, display_name: str = DISPLAY_NAME) -> str:
    """Install the kernelspec for this interpreter; return the folder it was written to.

    Default: into this environment (``sys.prefix``); ``user=True``: the user's Jupyter data
    folder, seen by every JupyterLab of this user; ``prefix``: another environment's prefix.
    """
    from ipykernel.kernelspec import install

    if user and prefix:
        raise ValueError("choose one of --user and --prefix")
    where = {"user": True} if user else {"prefix": prefix or sys.prefix}
    return install(kernel_name=name, display_name=display_name, **where)


def kernel_installed(name: str = KERNEL_NAME) -> bool:
    from jupyter_client.kernelspec import KernelSpecManager

    return name in KernelSpecManager().find_kernel_specs()


def this_interpreter_manager():
    """A jupyter_client KernelManager class whose kernel is this Python (no kernelspec needed)."""
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import KernelManager

    class ThisInterpreter(KernelManager):
        @property
        def kernel_spec(self):
            return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f",
                                    "{connection_file}"],
                              display_name=f"{DISPLAY_NAME} [{sys.executable}]", language="python")

    return ThisInterpreter


def report_kernel(name: str = KERNEL_NAME) -> dict:
    """papermill arguments choosing the kernel: ``name`` if installed, else this interpreter.

    Asking for another kernel than ``trailwatch`` by name means it must exist.
    """
    if kernel_installed(name):
        return {"kernel_name": name}
    if name != KERNEL_NAME:
        raise FileNotFoundError(f"Jupyter kernel {name!r} is not installed "
                                "(`jupyter kernelspec list` shows the installed ones)")
    log.info("no %r kernel installed; reports run on this interpreter (%s)", name, sys.executable)
    return {"kernel_name": name, "kernel_manager_class": this_interpreter_manager()}
