"""``python -m bot``: see :mod:`bot.cli`."""

import gc
import sys


def run() -> None:
    # Loading the libraries and models allocates a few hundred thousand objects that live
    # as long as the process: collecting while they load finds nothing, and once frozen
    # no later collection (nor the one at exit) walks them again.
    gc.disable()
    try:
        try:
            from bot.cli import main
        finally:
            gc.freeze()
            gc.enable()
        status = main()
    except KeyboardInterrupt:  # before the command line was even read
        print("Interrupted: nothing was written", file=sys.stderr)
        status = 130
    sys.exit(status)


if __name__ == "__main__":
    run()
