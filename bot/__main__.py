"""``python -m bot``: see :mod:`bot.cli`."""

import sys


def run() -> None:
    try:
        from bot.cli import main

        status = main()
    except KeyboardInterrupt:  # before the command line was even read
        print("Interrupted: nothing was written", file=sys.stderr)
        status = 130
    sys.exit(status)


if __name__ == "__main__":
    run()
