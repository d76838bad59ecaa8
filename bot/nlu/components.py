"""Custom Rasa NLU components: who is talking, two intent classifiers averaged, and the safeguarding detector.

The two classifiers themselves are Rasa's, made quicker to load and to run, in bot/nlu/classifiers.py.

All run inside the Rasa server, so they work when the action server is down.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.nlu.training_data.message import Message

from bot.answers.audience import age_band, parse_age, parse_audience

logger = logging.getLogger(__name__)

PATTERNS = Path(__file__).resolve().parent / "safeguarding_patterns.yml"
FALLBACK_INTENT = "nlu_fallback"
# Looked past when a disclosure must be ranked first: the fallback, and the opener ("can i tell you something"),
# which says someone is starting to tell. A message read as an opener and, close behind, as a disclosure is someone
# telling ("something happened at a party last night that i didnt want, i havent told anyone").
LOOKED_PAST = frozenset({FALLBACK_INTENT, "support_opener"})
# Questions about a topic, by intent name or prefix; help_*, support_* and the friend-helping and harassment
# intents are left out, because a person telling may be read as one of them.
QUESTION_INTENTS = (
    "abuse_what_is",
    "consent_",
    "law_",
    "lesson_",
    "parent_app_settings",
    "parent_sextortion",
    "parent_talk_to_child",
    "parent_warning_signs",
    "relationships_control_phone",
    "relationships_crush_dating",
    "relationships_ending_safely",
    "relationships_friendships",
    "relationships_healthy_signs",
    "relationships_jealousy",
    "relationships_lgbtq",
    "relationships_respect",
    "relationships_unhealthy_signs",
    "teacher_incident_guidance",
)
EVERYDAY_FRAMES = Path(__file__).resolve().parent / "everyday_frames.yml"
MONEY_DEMANDS = Path(__file__).resolve().parent / "money_demands.yml"
REPORTED_SITUATIONS = Path(__file__).resolve().parent / "reported_situations.yml"
DISCLOSURE_PREFIX = "disclosure_"
SPACY_DOC = "text_spacy_doc"
DIET_RANKING = "diet_intent_ranking"
RANKING_LENGTH = 10


def _entity(name: str, value: str, extractor: str, start: int = 0, end: int = 0) -> Dict[str, Any]:
    return {
        "entity": name,
        "value": value,
        "start": start,
        "end": end,
        "confidence_entity": 1.0,
        "extractor": extractor,
    }


def disclosure_mass(ranking: Optional[List[Dict[str, Any]]]) -> float:
    """The summed confidence of the disclosure intents when one of them ranks first (looking past LOOKED_PAST).

    A classifier may be unsure which disclosure it is ("something happened at a party that i didnt want")
    while sure that it is one: what counts is the probability of any disclosure, summed over them all.
    """
    ranking = [r for r in ranking or [] if r.get("name") not in LOOKED_PAST]
    if not ranking or not ranking[0]["name"].startswith(DISCLOSURE_PREFIX):
        return 0.0
    return sum(r.get("confidence", 0.0) for r in ranking if r["name"].startswith(DISCLOSURE_PREFIX))


class _Stateless(GraphComponent):
    """A pipeline step with no settings and nothing to train."""

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> _Stateless:
        return cls()


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class AudienceExtractor(_Stateless):
    """Turns `metadata.audience` / `metadata.age`, and a pupil's "I'm 13", into `audience` and `age_band` entities.

    The slots of the same names fill from these entities, so the audience contract needs no action server.
    The exact age is not kept: only its band.
    """

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            metadata = message.get("metadata") or {}
            metadata = metadata if isinstance(metadata, dict) else {}
            entities = [e for e in message.get("entities", []) if e.get("entity") != "age"]
            name = type(self).__name__
            audience = parse_audience(metadata.get("audience"))
            if audience:
                entities.append(_entity("audience", audience, name))
            age = parse_age(metadata.get("age"))
            spoken = [e for e in message.get("entities", []) if e.get("entity") == "age"]
            if age is None and spoken:
                age = parse_age(spoken[0].get("value"))
            if age is not None and audience in (None, "pupil"):
                entities.append(_entity("age_band", age_band(age), name))
            message.set("entities", entities, add_to_output=True)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class KeepDietRanking(_Stateless):
    """Keeps DIET's intent ranking before the next classifier replaces it (see AverageIntents)."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            message.set(DIET_RANKING, list(message.get("intent_ranking") or []))
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class AverageIntents(_Stateless):
    """The intent is the average of DIET's and logistic regression's confidences.

    The two read differently: DIET reads the words in context and copes with long, rambling messages and
    with disclosures; logistic regression on the same sparse features is steadier on short questions. On
    the held-out data the average beats either alone (README), and it is what the fallback and the
    safeguarding detector after it see.
    """

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            diet = message.get(DIET_RANKING)
            if diet is None:
                continue
            total: Dict[str, float] = {}
            for ranking in (diet, message.get("intent_ranking") or []):
                for entry in ranking:
                    total[entry["name"]] = total.get(entry["name"], 0.0) + entry.get("confidence", 0.0) / 2
            ranking = [{"name": n, "confidence": c} for n, c in sorted(total.items(), key=lambda nc: -nc[1])]
            if ranking:
                message.set("intent", dict(ranking[0]), add_to_output=True)
                message.set("intent_ranking", ranking[:RANKING_LENGTH], add_to_output=True)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False, model_from="SpacyNLP")
class SafeguardingDetector(GraphComponent):
    """Sets a disclosure intent when a high-precision pattern fires, whatever the classifiers predicted.

    It also keeps a disclosure ranked first by the average of both classifiers, even when the
    FallbackClassifier replaced it, when the confidences for all disclosure intents add up to at least
    `min_disclosure_mass` (`diet_ranking_counts` lets DIET's own ranking count too; off by default). A
    disclosure that the classifiers alone saw gets a second look: when an everyday frame
    (bot/nlu/everyday_frames.yml) matches, the message goes to the fallback answer instead. A disclosure that
    comes with a demand for money is answered as sextortion, or, when more urgent (danger now, self-harm), keeps its
    answer and gets the don't-pay note through the `money_demand` entity (bot/nlu/money_demands.yml). A parent's or a
    teacher's report is answered as the situation it names, for that audience (bot/nlu/reported_situations.yml).
    A context pattern (`yields_to_questions`: who is involved plus a concern word, such as "my child ... nudes")
    stands aside when the classifiers are sure (`min_question_confidence`) that the message is a question about a
    topic (`question_intents`); event patterns never do.
    The parse data gets a `safeguarding` key saying which detector fired and, for patterns, which pattern; or
    which frame set a classifier's disclosure aside; and, for a report, who reported it.
    """

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            "patterns": str(PATTERNS),
            "everyday_frames": str(EVERYDAY_FRAMES),
            "money_demands": str(MONEY_DEMANDS),
            "reported_situations": str(REPORTED_SITUATIONS),
            "min_disclosure_mass": 0.4,
            "diet_ranking_counts": False,
            "min_question_confidence": 0.7,
            "question_intents": list(QUESTION_INTENTS),
        }

    def __init__(self, config: Dict[str, Any]) -> None:
        self._config = config
        self._detector = None
        self._frames = None
        self._money = None
        self._reported = None

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SafeguardingDetector:
        return cls({**cls.get_default_config(), **config})

    def _detector_for(self, model: SpacyModel):
        if self._detector is None:
            from bot.nlu.safeguarding import Detector

            self._detector = Detector.from_file(model.model, Path(self._config["patterns"]))
        return self._detector

    def _frames_for(self, model: SpacyModel):
        if self._frames is None:
            from bot.nlu.safeguarding import EverydayFrames

            self._frames = EverydayFrames.from_file(model.model, Path(self._config["everyday_frames"]))
        return self._frames

    def _money_for(self, model: SpacyModel):
        if self._money is None:
            from bot.nlu.safeguarding import MoneyDemands

            self._money = MoneyDemands.from_file(model.model, Path(self._config["money_demands"]))
        return self._money

    def _reported_for(self, model: SpacyModel):
        if self._reported is None:
            from bot.nlu.safeguarding import ReportedSituations

            self._reported = ReportedSituations.from_file(model.model, Path(self._config["reported_situations"]))
        return self._reported

    def process(self, messages: List[Message], model: SpacyModel) -> List[Message]:
        detector = self._detector_for(model)
        for message in messages:
            text = message.get("text") or ""
            doc = message.get(SPACY_DOC) or model.model(text.lower())
            hits = detector.detect_all(doc)
            if self._asked(message):
                hits = [h for h in hits if not h.yields]
            hit = hits[0] if hits else None
            if hit:
                situation, confidence = hit.situation, 1.0
                found = {"detector": "patterns", "pattern": hit.pattern_id}
            else:
                situation = self._classifier_disclosure(message)
                if not situation:
                    continue
                frame = self._frames_for(model).match(doc)
                if frame:
                    self._set_intent(message, FALLBACK_INTENT)
                    message.set("safeguarding", {"set_aside": situation, "frame": frame}, add_to_output=True)
                    continue
                confidence, found = self._confidence(message, situation), {"detector": "classifiers"}
            money = self._money_for(model)
            situation = money.situation(situation, doc)
            if money.advised(situation, doc):  # self-harm or danger first, with the don't-pay note
                self._add_entity(message, "money_demand", "yes")
            reported = self._reported_for(model)
            reporter = reported.reporter(situation, self._audience(message))
            if reporter and situation in reported.reports:
                situation = reported.report_of(reporter)
            about = reported.situation(doc) if reporter else None
            if about:
                situation, found = about, {**found, "reported_by": reporter}
                self._add_audience(message, reporter)
            self._set_intent(message, situation, confidence=confidence)
            message.set("safeguarding", {"situation": situation, **found}, add_to_output=True)
        return messages

    def _asked(self, message: Message) -> bool:
        """Whether the classifiers read the message, with confidence, as a question about a topic.

        A context pattern (`yields_to_questions`: "my child" or "my friend" with a concern word anywhere) then
        stands aside: "what is sextortion? my 15 year old games online every night" is a parent's question.
        """
        ranking = message.get("intent_ranking") or []
        if not ranking:
            return False
        top = ranking[0]
        asked = any(top["name"] == q or top["name"].startswith(q) for q in self._config["question_intents"])
        return asked and top.get("confidence", 0.0) >= self._config["min_question_confidence"]

    @staticmethod
    def _audience(message: Message) -> Optional[str]:
        """Who is writing, as the message's metadata said (AudienceExtractor), or None."""
        found = [e.get("value") for e in message.get("entities") or [] if e.get("entity") == "audience"]
        return found[0] if found else None

    @staticmethod
    def _add_audience(message: Message, audience: str) -> None:
        """Who is writing, from a report, when the message's metadata did not say (bot/nlu/reported_situations.yml)."""
        if not any(e.get("entity") == "audience" for e in message.get("entities") or []):
            SafeguardingDetector._add_entity(message, "audience", audience)

    @staticmethod
    def _add_entity(message: Message, name: str, value: str) -> None:
        entities = message.get("entities") or []
        message.set("entities", [*entities, _entity(name, value, "SafeguardingDetector")], add_to_output=True)

    def _classifier_disclosure(self, message: Message) -> Optional[str]:
        """A disclosure in the averaged ranking, or else, when `diet_ranking_counts`, in DIET's own.

        With the sentence-meaning features, DIET alone is sure of a disclosure in many harmless messages ("how do
        u cut a mango") and caught none that the average missed on the development sets (bot.nlu.calibrate), so
        its own ranking no longer counts by default.
        """
        rankings = [message.get("intent_ranking")]
        if self._config.get("diet_ranking_counts"):
            rankings.append(message.get(DIET_RANKING))
        for ranking in rankings:
            situation = self._disclosure_in(ranking or [])
            if situation:
                return situation
        return None

    def _disclosure_in(self, ranking: List[Dict[str, Any]]) -> Optional[str]:
        """The disclosure ranked first (looking past LOOKED_PAST), when all disclosures together are likely."""
        mass = disclosure_mass(ranking)
        if not mass or mass < self._config["min_disclosure_mass"]:
            return None
        return next(r["name"] for r in ranking if r.get("name") not in LOOKED_PAST)

    @staticmethod
    def _confidence(message: Message, name: str) -> float:
        """The averaged confidence of an intent, or DIET's when the average did not rank it."""
        for ranking in (message.get("intent_ranking"), message.get(DIET_RANKING)):
            found = [r["confidence"] for r in ranking or [] if r["name"] == name]
            if found:
                return found[0]
        return 1.0

    @staticmethod
    def _set_intent(message: Message, name: str, confidence: float = 1.0) -> None:
        ranking = message.get("intent_ranking") or []
        message.set("intent", {"name": name, "confidence": confidence}, add_to_output=True)
        rest = [r for r in ranking if r["name"] != name]
        message.set("intent_ranking", [{"name": name, "confidence": confidence}, *rest], add_to_output=True)
