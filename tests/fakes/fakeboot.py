"""What every fake does before it imports the others: say where Python keeps their bytecode.

Python compiles a module each time it imports one whose bytecode it may not keep, and the
fakes, about 10,000 lines, may not write into the source tree. Each fake is a new process, so
every call compiled them all again: about 0.1 s of CPU a call, several times what the real
tools take to answer a query. With $MESHLAB_FAKE_STATE set, the bytecode goes into its
`pycache/` (sys.pycache_prefix: nothing lands next to the sources), so only a sandbox's first
calls compile; without it nothing is written at all.
"""

import os
import sys


def keep_bytecode_in_state_dir():
    state = os.environ.get("MESHLAB_FAKE_STATE", "")
    if state:
        sys.pycache_prefix = os.path.join(state, "pycache")
        sys.dont_write_bytecode = False
    else:
        sys.dont_write_bytecode = True
