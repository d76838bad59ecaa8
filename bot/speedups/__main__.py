"""Rasa's command line with the speed-ups installed first (unless BOT_SPEEDUPS=0).

    python -m bot.speedups run --model models/assistant.tar.gz ...
    python -m bot.speedups train --fixed-model-name assistant ...

The same arguments as `rasa`; bot/serve.py, the Makefile and deploy/docker-entrypoint.sh start Rasa this way.
"""

from __future__ import annotations

import sys

from bot import speedups


def main(argv: list | None = None) -> None:
    installed = speedups.install()
    state = f"{len(installed)} of {len(speedups.REGISTRY)} installed" if speedups.enabled() else "off: stock Rasa"
    print(f"speed-ups (bot/speedups): {state}", file=sys.stderr, flush=True)
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
