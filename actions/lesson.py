"""action_lesson: lesson mode for teachers (starters, scenarios, quiz), decided by bot.lessons.lesson_mode."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.lessons.lesson_mode import respond


class ActionLesson(Action):
    """Runs one turn of lesson mode and keeps the quiz state in slots."""

    def name(self) -> str:
        return "action_lesson"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[Dict]:
        slots = {k: tracker.get_slot(k) for k in ("quiz", "key_stage", "lesson_items", "quiz_choice")}
        message = tracker.latest_message or {}
        replies, updates = respond((message.get("intent") or {}).get("name"), message.get("text") or "", slots)
        for reply in replies:
            dispatcher.utter_message(**reply.as_dict())
        return [SlotSet(k, v) for k, v in updates.items()] + [SlotSet("quiz_choice", None)]
