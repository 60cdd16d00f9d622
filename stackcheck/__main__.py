"""``python -m stackcheck``: one run of the command line in a process of its own.

The cyclic garbage collector is off for the run: a stackcheck run is short, makes little cyclic garbage, and with
the collector on it would walk the provider SDKs' object graphs (several hundred thousand objects) again and again,
which costs more than the program itself (``make bench`` measures it). Everything is frozen before the interpreter
exits, so its final collection does not walk them either.
"""

import gc
import sys

gc.disable()

from stackcheck.cli import main  # noqa: E402

code = main()
sys.stdout.flush()
sys.stderr.flush()
gc.freeze()
sys.exit(code)
