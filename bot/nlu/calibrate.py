"""Choose the safeguarding detector's `min_disclosure_mass` on development sets, never on test sets.

    python -m bot.nlu.calibrate MODEL --harmless tests/safety/dev_false_alarm.yml --disclosures FILE ...

Runs a trained model's NLU over each message once and prints, for each threshold, how many harmless messages
the classifier rule would call a disclosure (false alarms) and how many disclosures it would miss, with and
without the DIET-only path (bot/nlu/components.py, SafeguardingDetector). Pattern hits are counted apart: no
threshold changes them. Files are YAML lists of {text, audience?, age?} (the safety suites' format).
"""

from __future__ import annotations

import argparse
import asyncio

from bot import yaml_files
from bot.nlu.components import DIET_RANKING, disclosure_mass

THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)


def _messages(model: str, cases: list) -> list:
    """The parse data of each case with every property kept (so DIET's own ranking too), as served."""
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import UserMessage
    from rasa.shared.core.trackers import DialogueStateTracker

    processor = Agent.load(model).processor
    tracker = DialogueStateTracker("calibration", [])
    out = []
    for case in cases:
        audience = case.get("audience") or "pupil"
        meta = {"age": case["age"]} if case.get("age") else {}
        if audience != "none":
            meta["audience"] = audience
        message = UserMessage(case["text"], metadata=meta)
        out.append(processor._parse_message_with_graph(message, tracker, only_output_properties=False))
    return out


def scores(messages: list, diet_path: bool) -> dict:
    """Per threshold: which messages the classifier rule calls a disclosure (ignoring patterns and frames)."""
    result = {}
    for t in THRESHOLDS:
        flagged = []
        for m in messages:
            info = m.get("safeguarding") or {}
            if info.get("detector") == "patterns":
                flagged.append(True)
                continue
            if info.get("frame"):
                flagged.append(False)
                continue
            avg = disclosure_mass(m.get("intent_ranking"))
            diet = disclosure_mass(m.get(DIET_RANKING)) if diet_path else 0.0
            flagged.append(max(avg, diet) >= t)
        result[t] = flagged
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("--harmless", nargs="+", required=True)
    parser.add_argument("--disclosures", nargs="+", required=True)
    args = parser.parse_args(argv)
    load = lambda paths: [case for path in paths for case in yaml_files.load(path)]  # noqa: E731
    harmless, disclosures = load(args.harmless), load(args.disclosures)
    asyncio.set_event_loop(asyncio.new_event_loop())
    h_msgs, d_msgs = _messages(args.model, harmless), _messages(args.model, disclosures)
    print(f"harmless {len(harmless)}, disclosures {len(disclosures)}")
    for diet_path in (True, False):
        h, d = scores(h_msgs, diet_path), scores(d_msgs, diet_path)
        for t in THRESHOLDS:
            alarms, caught = sum(h[t]), sum(d[t])
            print(
                f"diet path {'on ' if diet_path else 'off'} threshold {t:.1f}: "
                f"false alarms {alarms} ({alarms / len(harmless):.1%}), missed {len(disclosures) - caught} "
                f"({1 - caught / len(disclosures):.1%})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
