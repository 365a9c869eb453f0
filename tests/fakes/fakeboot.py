"""What every fake does before it imports the others: say where Python keeps their bytecode;
and how bin/ starts a fake from its cached bytecode.

Python compiles a module each time it imports one whose bytecode it may not keep, and the
fakes, about 10,000 lines, may not write into the source tree. Each fake is a new process, so
every call compiled them all again: about 0.1 s of CPU a call, several times what the real
tools take to answer a query. With $MESHLAB_FAKE_STATE set, the bytecode goes into its
`pycache/` (sys.pycache_prefix: nothing lands next to the sources), so only a sandbox's first
calls compile; without it nothing is written at all.

A script run directly (`tests/fakes/kubectl ...`) is compiled on every start all the same:
Python keeps no bytecode for __main__, and kubectl's is 1,500 lines. bin/ holds a three-line
starter per tool that runs the script as __main__ through run(), from the cache like a module:
the harness puts bin/ first on PATH. Either way the same code runs.
"""

import importlib.machinery
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.realpath(__file__))


def keep_bytecode_in_state_dir():
    state = os.environ.get("MESHLAB_FAKE_STATE", "")
    if state:
        sys.pycache_prefix = os.path.join(state, "pycache")
        sys.dont_write_bytecode = False
    else:
        sys.dont_write_bytecode = True


def run(tool):
    """Runs the script `tool` next to this file as __main__, from its cached bytecode."""
    keep_bytecode_in_state_dir()
    path = os.path.join(HERE, tool)
    loader = importlib.machinery.SourceFileLoader("__main__", path)
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("__main__", loader))
    sys.modules["__main__"] = module
    loader.exec_module(module)
