"""``python -m bot``: see :mod:`bot.cli`."""

import sys

from bot.cli import main


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
