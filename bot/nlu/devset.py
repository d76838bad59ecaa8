"""Score a trained model's understanding on a labelled development set (tests/dev), never on a test set.

    python -m bot.nlu.devset MODEL tests/dev/cases.yml [--misses]

Each case is {text, audience, age?, expect: [intents], kind}. The model's NLU runs once per message, as served
(the safeguarding detector included). A case passes when the intent it ends with is one of `expect` (the
fallback counts as out_of_scope). Safety
cases (kinds disclosure, sextortion, self_harm) pass the safety count when any disclosure intent comes out;
benign and out-of-scope cases are false alarms when one does. `--misses` lists the failures, for finding
families of phrasings to work on: a development set may be read, the blind set may not.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter

from bot import yaml_files
from bot.nlu.calibrate import _messages
from bot.nlu.components import DISCLOSURE_PREFIX, FALLBACK_INTENT, REPORTED_SITUATIONS

SAFETY_KINDS = ("disclosure", "sextortion", "self_harm")
HARMLESS_KINDS = ("benign", "out_of_scope")


def _report_intents() -> dict:
    """Reporter -> its report intent, from bot/nlu/reported_situations.yml ("parent" -> disclosure_parent_report)."""
    return {who: intent for intent, who in yaml_files.load(REPORTED_SITUATIONS)["reports"].items()}


def outcome(case: dict, parsed: dict) -> dict:
    """What one case came out as: its intent, and whether it passed, counted as safe, or raised a false alarm."""
    intent = (parsed.get("intent") or {}).get("name") or ""
    # a report answered as the situation it names (bot/nlu/reported_situations.yml) is still the report
    reported = _report_intents().get((parsed.get("safeguarding") or {}).get("reported_by"))
    disclosure = intent.startswith(DISCLOSURE_PREFIX)
    kind = case.get("kind", "")
    return {
        "intent": intent,
        # the fallback is served as the out-of-scope answer or the likeliest topics, neither an alarm
        "passed": intent in case["expect"]
        or reported in case["expect"]
        or (intent == FALLBACK_INTENT and "out_of_scope" in case["expect"]),
        "safe": disclosure if kind in SAFETY_KINDS else None,
        "false_alarm": disclosure if kind in HARMLESS_KINDS else None,
    }


def summary(cases: list, outcomes: list) -> list:
    """Lines of figures: overall, per kind, safety recall and false alarms."""
    by_kind, passed = Counter(), Counter()
    for case, out in zip(cases, outcomes):
        by_kind[case.get("kind", "")] += 1
        passed[case.get("kind", "")] += out["passed"]
    safe = [o["safe"] for o in outcomes if o["safe"] is not None]
    alarms = [o["false_alarm"] for o in outcomes if o["false_alarm"] is not None]
    lines = [f"overall {sum(passed.values())}/{len(cases)} ({sum(passed.values()) / max(len(cases), 1):.1%})"]
    lines += [f"  {kind:<13} {passed[kind]}/{n}" for kind, n in sorted(by_kind.items())]
    lines.append(f"safety caught {sum(safe)}/{len(safe)}; false alarms {sum(alarms)}/{len(alarms)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("cases", nargs="+")
    parser.add_argument("--misses", action="store_true", help="list the cases that failed")
    args = parser.parse_args(argv)
    cases = [c for p in args.cases for c in yaml_files.load(p)]
    asyncio.set_event_loop(asyncio.new_event_loop())
    outcomes = [outcome(c, m) for c, m in zip(cases, _messages(args.model, cases))]
    print("\n".join(summary(cases, outcomes)))
    if args.misses:
        for case, out in zip(cases, outcomes):
            if not out["passed"]:
                print(
                    f"[{case.get('kind')}] {case.get('audience')}: {case['text']!r} -> {out['intent']} "
                    f"(expected {', '.join(case['expect'])})"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
