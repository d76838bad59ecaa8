"""action_answer: the knowledge answer for the last intent, picked and rendered by bot.answers.answering."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.answers.answering import READS_THE_PREVIOUS_QUESTION, answer, previous_question


class ActionAnswer(Action):
    """Answers a question from the content library for the conversation's audience and age band."""

    def name(self) -> str:
        return "action_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[Dict]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        replies, asked = answer(
            intent,
            tracker.get_slot("audience"),
            tracker.get_slot("age_band"),
            bool(tracker.get_slot("audience_asked")),
            previous=previous_question(tracker.events) if intent in READS_THE_PREVIOUS_QUESTION else None,
            ranking=tracker.latest_message.get("intent_ranking"),
            message=tracker.latest_message.get("text"),
        )
        for reply in replies:
            dispatcher.utter_message(**reply.as_dict())
        return [SlotSet("audience_asked", True)] if asked else []
