"""`python -m paso` mirrors the command line:

    python -m paso model.onnx -target=rpi4 -o model.so   # paso-opt
    python -m paso run model.so --bench 20              # paso-run

The wheel also installs `paso-opt` and `paso-run` commands that do the same.
"""
import os
import sys

from .compiler import find_paso_opt, find_paso_run


def _exec(tool, args):
    os.execv(tool, [tool, *args])


def paso_opt():
    _exec(find_paso_opt(), sys.argv[1:])


def paso_run():
    _exec(find_paso_run(), sys.argv[1:])


def main():
    args = sys.argv[1:]
    if args and args[0] == "run":
        _exec(find_paso_run(), args[1:])
    _exec(find_paso_opt(), args)


if __name__ == "__main__":
    main()
