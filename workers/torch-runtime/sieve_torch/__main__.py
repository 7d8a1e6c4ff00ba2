"""`python3 -m sieve_torch` (cwd = workers/torch-runtime): serve requests on stdin/stdout.

stdout carries the protocol only: its file descriptor is kept for the events and fd 1 is
pointed at stderr, so a stray print (ours, a library's, a C extension's) lands in the log
instead of corrupting the event stream.
"""

import logging
import os
import sys


def main() -> int:
    protocol = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    level = getattr(logging, os.environ.get("SIEVE_TORCH_LOG", "INFO").upper(), logging.INFO)
    logging.basicConfig(stream=sys.stderr, level=level, format="sieve-torch %(levelname)s %(message)s")

    from .data import memory_budget
    from .device import configure_torch
    from .protocol import Server

    try:
        budget = memory_budget()
    except ValueError as error:
        logging.getLogger("sieve_torch").error("%s", error)
        return 2
    configure_torch()
    try:
        return Server(protocol, budget).serve(iter(sys.stdin.buffer.readline, b""))
    except BrokenPipeError:
        logging.getLogger("sieve_torch").warning("stdout closed by the reader; exiting")
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
