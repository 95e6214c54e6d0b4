"""CLI verb ``trailwatch kernel install [--user | --prefix DIR]``."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "kernel", help="install the 'trailwatch' Jupyter kernel (this interpreter)",
        description="Install a Jupyter kernelspec named 'trailwatch' that runs this Python, so "
                    "JupyterLab (this environment's or another one's) can use the toolkit.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    install = actions.add_parser("install", help="write the kernelspec")
    where = install.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true",
                       help="into your user Jupyter folder (any JupyterLab you start sees it)")
    where.add_argument("--sys-prefix", action="store_true",
                       help="into this environment (the default)")
    where.add_argument("--prefix", help="into another environment's prefix")
    install.add_argument("--name", default="trailwatch", help="kernel name (default: trailwatch)")
    parser.set_defaults(func=_install)


def _install(args: argparse.Namespace) -> int:
    from toolkit.jupyter.kernel import install_kernel

    path = install_kernel(user=args.user, prefix=args.prefix, name=args.name)
    print(f"installed kernel {args.name!r} in {path}")
    return 0
