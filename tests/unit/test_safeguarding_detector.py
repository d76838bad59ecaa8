"""Unit tests for the deterministic safeguarding detector (bot/nlu/safeguarding.py + its patterns file).

Builds the same kind of pipeline the assistant uses (blank English + lookup lemmatizer from
spacy-lookups-data), checks specific cases per situation, the false-alarm rate on
tests/safety/false_alarm.yml and on the non-disclosure NLU examples in data/nlu and tests/nlu (at most 1%
each: a pattern hit overrides the classifier, so a general question must not fire), and prints the recall
on tests/safety/must_catch.yml.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections import Counter
from pathlib import Path

import pytest
import spacy
import yaml

from bot.nlu import safeguarding
from bot.nlu.safeguarding import Detector, Hit, PatternError

ROOT = Path(__file__).resolve().parents[2]
PATTERNS = ROOT / "bot" / "nlu" / "safeguarding_patterns.yml"
MUST_CATCH = ROOT / "tests" / "safety" / "must_catch.yml"
FALSE_ALARM = ROOT / "tests" / "safety" / "false_alarm.yml"
TRAINING = ROOT / "data" / "nlu" / "safeguarding.yml"
NLU_FILES = sorted((ROOT / "data" / "nlu").glob("*.yml")) + sorted((ROOT / "tests" / "nlu").glob("*.yml"))
_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")  # "[parent](audience)" -> "parent"

SITUATIONS = [
    "disclosure_immediate_danger",
    "disclosure_self_harm",
    "disclosure_sextortion",
    "disclosure_abuse",
    "disclosure_grooming",
    "disclosure_image_shared",
    "disclosure_pressure_images",
    "disclosure_parent_report",
    "disclosure_teacher_report",
    "disclosure_friend",
]


def _pipeline(*, entity_ruler: bool = False) -> spacy.Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    ruler = nlp.add_pipe("entity_ruler") if entity_ruler else None
    nlp.initialize()
    if ruler is not None:  # after initialize(), which resets the ruler's patterns
        ruler.add_patterns([{"label": "SERVICE", "pattern": [{"LOWER": "childline"}]}])
    return nlp


@pytest.fixture(scope="module")
def nlp() -> spacy.Language:
    return _pipeline()


@pytest.fixture(scope="module")
def detector(nlp: spacy.Language) -> Detector:
    return Detector.from_file(nlp, PATTERNS)


@functools.lru_cache(maxsize=None)
def _load(path: Path):
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


# ------------------------------------------------------------------ specific cases per situation

CATCH = [
    ("he said he will drop my nudes in the year group chat unless i get them money", "disclosure_sextortion"),
    ("i sent him a nude last week and now he wants money off me", "disclosure_sextortion"),
    ("someone wants forty quid off me or my pics go round the whole year", "disclosure_sextortion"),
    ("they say send more or theyll post the deepfake of me", "disclosure_sextortion"),
    ("swallowed a load of my dads pills before school", "disclosure_self_harm"),
    ("been sh-ing again since the summer", "disclosure_self_harm"),
    ("i keep a razor hidden under my mattress", "disclosure_self_harm"),
    ("stepdad punches me when mum is at work", "disclosure_abuse"),
    ("hiding in the bathroom, he's drunk and smashing plates", "disclosure_immediate_danger"),
    ("my brothers mate keeps asking what colour my bra is", "disclosure_grooming"),
    ("my stepdad's got a knife and he's screaming at mum", "disclosure_immediate_danger"),
    ("mums boyfriend pulled a knife on us last night", "disclosure_immediate_danger"),
    ("she's going to hurt us when she gets in", "disclosure_immediate_danger"),
    ("honestly so tired of existing", "disclosure_self_harm"),
    ("wish i was never born tbh", "disclosure_self_harm"),
    ("i keep thinking about stepping in front of a train", "disclosure_self_harm"),
    ("we got ur pics. pay now or we destroy you", "disclosure_sextortion"),
    ("they made me strip in the changing room and laughed", "disclosure_abuse"),
    ("older boys pulled my trackies down and filmed it", "disclosure_abuse"),
    # immediate danger
    ("he's outside my house and i'm scared", "disclosure_immediate_danger"),
    ("im in danger", "disclosure_immediate_danger"),
    ("please help me now", "disclosure_immediate_danger"),
    ("i'm being hurt right now", "disclosure_immediate_danger"),
    ("he won't let me leave his flat", "disclosure_immediate_danger"),
    # self-harm
    ("i want to kill myself", "disclosure_self_harm"),
    ("sometimes i just want to die", "disclosure_self_harm"),
    ("i've been cutting myself again", "disclosure_self_harm"),
    ("i want to end it all", "disclosure_self_harm"),
    ("there's no point living", "disclosure_self_harm"),
    ("i keep making myself sick after meals", "disclosure_self_harm"),
    ("whats the point anymore", "disclosure_self_harm"),
    # sextortion
    ("someone is blackmailing me", "disclosure_sextortion"),
    ("they're threatening to share my pics with my family", "disclosure_sextortion"),
    ("pay £200 or your nudes go to all your followers", "disclosure_sextortion"),
    ("he says he'll post my video unless i pay", "disclosure_sextortion"),
    # abuse
    ("I'm being forced to have sex and I'm only 12 years old", "disclosure_abuse"),
    ("my uncle touched me where he shouldnt", "disclosure_abuse"),
    ("i was raped", "disclosure_abuse"),
    ("something happened at a party that i didn't want", "disclosure_abuse"),
    # grooming
    ("an older guy keeps messaging me and asking for pics", "disclosure_grooming"),
    ("a man online wants to meet me and says to keep it a secret", "disclosure_grooming"),
    ("he's 27 and keeps sending me gifts", "disclosure_grooming"),
    ("my coach takes photos of me when im changing", "disclosure_grooming"),
    # image shared
    ("help my nudes got leaked", "disclosure_image_shared"),
    ("my nudes are on twitter", "disclosure_image_shared"),
    ("my pic is going round school", "disclosure_image_shared"),
    ("someone put a pic of me getting changed on their story", "disclosure_image_shared"),
    # pressure for images
    ("my bf keeps asking for nudes", "disclosure_pressure_images"),
    ("she says she'll dump me if i don't send a pic", "disclosure_pressure_images"),
    ("my boyfriend keeps guilt tripping me to send pics", "disclosure_pressure_images"),
    # parent voice
    ("my daughter has been self harming and i don't know what to do", "disclosure_parent_report"),
    ("my son told me his coach abused him", "disclosure_parent_report"),
    ("my daughter's nude has been shared around her school", "disclosure_parent_report"),
    # teacher voice
    ("A Year 8 showed me a nude on her phone", "disclosure_teacher_report"),
    ("a pupil has disclosed that she is being abused", "disclosure_teacher_report"),
    ("a student told me she sent images to someone", "disclosure_teacher_report"),
    # friend
    ("my friend told me her stepdad abuses her", "disclosure_friend"),
    ("asking for a friend, her nudes got leaked", "disclosure_friend"),
    ("my mate is thinking about suicide", "disclosure_friend"),
    # a disclosure inside a question still fires
    ("how can i protect my son, someone is blackmailing him", "disclosure_parent_report"),
    ("how do i talk to my daughter, her nudes have been shared", "disclosure_parent_report"),
    ("hes threatening to leak the video", "disclosure_sextortion"),
    ("this old guy keeps asking for pics", "disclosure_grooming"),
    # money with a threat, and threats to post "it", with no picture named
    ("she keeps saying tell me the amount u can pay me or else", "disclosure_sextortion"),
    ("i bought them 3 roblox gift cards and they said it was not enough", "disclosure_sextortion"),
    ("if i unfollow him hell post them on his story", "disclosure_sextortion"),
    ("she said shell send my pics to my mum unless i stay with her", "disclosure_sextortion"),
    ("if i dump him he will show everyone the video of me", "disclosure_sextortion"),
    ("i was told its 50 quid or my pics go to my whole school", "disclosure_sextortion"),
    ("someone claiming to be police says i'll be arrested unless i pay them for the nudes", "disclosure_sextortion"),
    # cutting or scratching the body
    ("i cut my thighs so nobody sees", "disclosure_self_harm"),
    ("been scratching my skin until it bleeds", "disclosure_self_harm"),
    ("after school i cut again and i hate it", "disclosure_self_harm"),
    ("i keep biting my hands on purpose when im upset", "disclosure_self_harm"),
    ("ive been burning again since christmas", "disclosure_self_harm"),
    ("i sh'd again and i feel awful", "disclosure_self_harm"),
    ("how can i cover my scars for swimming", "disclosure_self_harm"),
    ("i feel like i might do something stupid to myself", "disclosure_self_harm"),
    # harassment done to the writer, and pressure for an intimate picture
    ("lads in year 9 keep flicking my bra strap", "disclosure_abuse"),
    ("some year 11s yanked my shorts down in front of everyone", "disclosure_abuse"),
    ("i told him to stop but he carried on and i just froze", "disclosure_abuse"),
    ("my stepdad always wants cuddles and gets angry when i say no", "disclosure_abuse"),
    ("my ex keeps waiting outside my school and i blocked him everywhere", "disclosure_abuse"),
    ("she messages me from new accounts every time i block her", "disclosure_abuse"),
    ("a boy keeps making comments about my chest in science", "disclosure_abuse"),
    ("he said he wants a pic of my bum or hes telling everyone im frigid", "disclosure_pressure_images"),
    ("my teacher says a pupil told her his video is up on a website", "disclosure_teacher_report"),
    # abuse told years later, going without food to change the body, a partner showing pics to friends
    ("my uncle used to touch me when i was like 8", "disclosure_abuse"),
    ("my cousin did stuff to me as a kid and i still think about it", "disclosure_abuse"),
    ("ive been skipping lunch cos im too fat", "disclosure_self_harm"),
    ("i barely eat now, i want to be skinny", "disclosure_self_harm"),
    ("my ex sent my photos to all his mates", "disclosure_image_shared"),
    ("my gf showed my nudes to her friends", "disclosure_image_shared"),
    # waking up to someone on top of them; slang for nudes with the "everyone does it" line; money by PayPal or in £
    ("woke up with my stepdad on top of me", "disclosure_abuse"),
    ("woke up to him touching me at the sleepover", "disclosure_abuse"),
    ("a lad in year 11 keeps asking me for spicy pics", "disclosure_pressure_images"),
    ("a boy in my class asked me for 'naughty pics' and said everyone does it", "disclosure_pressure_images"),
    ("i got tricked into sending a pic and now they want paypal", "disclosure_sextortion"),
    ("my mate says her bf shared her nudes and that's illegal right", "disclosure_friend"),
    ("my uncle keeps walking in whenever im getting changed and just stares", "disclosure_abuse"),
    ("is it normal my stepdad comes in the bathroom when i'm in the bath? he took the lock off", "disclosure_abuse"),
    ("my coach checks my body every week to see if im developing properly", "disclosure_abuse"),
    ("i did stuff with a boy at a party and someone recorded it, now its going round", "disclosure_image_shared"),
    ("the man from my swimming club told me dnt tell anyone about our chats on snap", "disclosure_grooming"),
    ("a student says nudes of her are being passed round her year and she is in bits", "disclosure_teacher_report"),
]

IGNORE = [
    "for an inset slide: what should a teacher do and never do when a student says nudes are being passed round?",
    "my brother always hogs the bathroom when i need a shower",
    "my dad always sings in the shower and its so loud when im trying to sleep",
    "my dad checked my body for ticks after the camping trip",
    "the doctor checks my body every year to see if i'm growing properly, my dad takes me",
    "we did stuff for the school play and someone filmed it and put it on their story",
    "my mum said don't tell dad about the surprise party",
    "the school photographer wants money for the prints of me",
    "my mum asked what size my school shoes are",
    "hiding in the cupboard for hide and seek with my cousins",
    "the shop assistant asked what size my bra was for the fitting",
    "my brother hits me with a pillow when we play fight",
    "we learned about knife crime in pshe today",
    "mum's got the knife out chopping onions for tea",
    "my brother's got a knife in fortnite and keeps getting me",
    "tired of living with my sister she's so annoying",
    "i'm so tired of being ignored by my mates",
    "we jumped off the bridge into the river all summer",
    "the dog ran out in front of a car and i screamed",
    "my mum made me get up early for the car boot sale",
    "what is grooming",
    "is it illegal to force someone to have sex",
    "this homework is killing me",
    "im dying to see the new film",
    "im in danger of failing chemistry",
    "i want to die my hair blue",
    "i could die of embarrassment",
    "my mum will kill me if im late",
    "i hurt my knee at football",
    "i got sent a meme",
    "my mum wants a pic of the dog",
    "how do i know if my child is being groomed",
    "what should i do if someone pressures me",
    "we watched a video about a girl whose nudes got leaked",
    "my teacher asked for a photo of our science project",
    "whats the point of revising",
    # general questions about the law or about what to do, not disclosures
    "is threatening to post nudes a crime",
    "could you go to prison just for threatening to leak a pic",
    "what should i do if someone threatens to share my pics",
    "can a grown up ask a 15 year old for pics",
    "what happens if an adult keeps asking a child for pics",
    "are deepfake nudes illegal",
    "how can i tell if someone is grooming my child online",
    "what are the signs my child is being sextorted",
    "how can i help my son spot a sextortion scam",
    "my mum said shell show everyone my baby photos if i misbehave lol",
    "is it illegal to keep a nude my gf sent me",
    "is it illegal to ask for nudes if youre a teenager",
    "should i tell an adult about my friends boyfriend",
    "my friends bf makes her cry all the time",
    "my son's email was leaked in a hack, what should he do",
    "the jab really hurt her but she was brave",
    "we made him redo his homework and he sulked",
    "is a 15 year old boy allowed on snapchat",
    "should i keep a secret from my mate about the surprise party",
    "if i like it ill post it on my story",
    "how do i cut and paste on a chromebook",
    "i cut my hair short on purpose for the play",
    "my dad has been cutting the hedge all day",
    "i fell off my bike and got cuts on my legs",
    "my mate dared me to do something stupid at the party lol",
    "i had to take my top off for the doctor to listen to my chest",
    "my little brother kept going on about minecraft all day",
    "my mum gets cross if i say no to tidying my room",
    "what if my ex keeps messaging me from new numbers",
    "my nan keeps turning up at my house with cake",
    "what if a scammer says pay £50 or else",
    "i paid £20 for the tickets and now they want more for postage",
    "my nan touched me on the shoulder when i was crying",
    "i went without food for a day before my blood test",
    "im fasting for ramadan so im not eating till sunset",
    "i stopped eating meat because i hate how animals are treated",
    "my boyfriend showed his friends my photos of the dog",
    "my ex showed everyone my holiday pics lol",
    "i woke up with my cat on top of me lol",
    "woke up with my little sister on top of me she wanted pancakes",
    "my mate sends spicy pics of her dinner",
    "everyone does it, is sending nudes really illegal?",
    # a myth a friend told them is a law question, not a friend's disclosure
    "my mate says nudes are legal at 17 if ur in a relationship. true?",
    "my best friend reckons sexting is only illegal under 16",
    "my friend threatened to tell everyone i fancy him lol",
]


@pytest.mark.parametrize("text,situation", CATCH)
def test_catches_specific_disclosures(detector: Detector, nlp: spacy.Language, text: str, situation: str) -> None:
    hit = detector.detect(nlp(text))
    assert hit is not None, text
    assert hit.situation == situation, (text, hit)
    assert hit.matched_text and hit.matched_text.lower() in text.lower()


@pytest.mark.parametrize("text", IGNORE)
def test_ignores_harmless_messages(detector: Detector, nlp: spacy.Language, text: str) -> None:
    assert detector.detect(nlp(text)) is None, text


def test_every_situation_has_patterns(detector: Detector) -> None:
    data = _load(PATTERNS)
    assert Counter(entry["situation"] for entry in data["patterns"]).keys() == set(SITUATIONS)
    assert all(entry["comment"].strip() for entry in data["patterns"])


# ------------------------------------------------------------------ priority and the Hit type


def test_priority_comes_from_the_yaml_file(detector: Detector) -> None:
    assert list(detector.priority) == _load(PATTERNS)["priority"] == SITUATIONS


def test_most_urgent_situation_wins(detector: Detector, nlp: spacy.Language) -> None:
    text = "my nudes got leaked and now i want to kill myself and hes outside my house"
    hits = detector.detect_all(nlp(text))
    situations = list(dict.fromkeys(h.situation for h in hits))
    assert situations == [
        "disclosure_immediate_danger",
        "disclosure_self_harm",
        "disclosure_image_shared",
    ]
    assert detector.detect(nlp(text)) == hits[0]


def test_hit_is_frozen(detector: Detector, nlp: spacy.Language) -> None:
    hit = detector.detect(nlp("i want to kill myself"))
    assert hit == Hit("disclosure_self_harm", "self_harm_kill_myself", "kill myself")
    with pytest.raises(dataclasses.FrozenInstanceError):
        hit.situation = "other"  # type: ignore[misc]


def test_capitals_are_matched_and_reported_as_written(detector: Detector, nlp: spacy.Language) -> None:
    hit = detector.detect(nlp("He FORCED me to have sex"))
    assert hit is not None and hit.situation == "disclosure_abuse"
    assert hit.matched_text == "He FORCED me"


def test_works_on_a_pipeline_with_an_entity_ruler() -> None:
    nlp = _pipeline(entity_ruler=True)
    detector = Detector.from_file(nlp, PATTERNS)
    doc = nlp("Should I call Childline? Someone is threatening to post my nudes")
    assert [ent.text for ent in doc.ents] == ["Childline"]
    hit = detector.detect(doc)
    assert hit is not None and hit.situation == "disclosure_sextortion"


def test_a_message_with_capitals_is_read_lower_cased_as_the_whole_pipeline_reads_it(monkeypatch) -> None:
    nlp = _pipeline(entity_ruler=True)
    detector = Detector.from_file(nlp, PATTERNS)
    texts = ["Someone Is Threatening to post my NUDES", "Childline? He FORCED me to have sex", "I Want To Kill Myself"]
    ruler_calls: list = []
    for text in texts:
        whole = nlp(text.lower())
        monkeypatch.setattr(type(nlp.get_pipe("entity_ruler")), "__call__", lambda self, d: ruler_calls.append(d))
        light = safeguarding._lower_cased(nlp, nlp.make_doc(text))
        monkeypatch.undo()
        assert ruler_calls == []  # the copy skips the entity ruler
        attrs = ("text", "lower_", "lemma_", "norm_", "is_punct", "like_num")
        assert [[getattr(t, a) for a in attrs] for t in light] == [[getattr(t, a) for a in attrs] for t in whole]
        found = [(hit.situation, hit.pattern_id) for hit in detector.detect_all(nlp(text))]
        assert found and found == [(hit.situation, hit.pattern_id) for hit in detector.detect_all(whole)]


# ------------------------------------------------------------------ the patterns file is checked

GOOD_ENTRY = {
    "id": "x",
    "situation": "disclosure_abuse",
    "comment": "c",
    "patterns": [[{"LOWER": "x"}]],
}


@pytest.mark.parametrize(
    "entries,message",
    [
        ([{**GOOD_ENTRY, "situation": "disclosure_unknown"}], "not in 'priority'"),
        ([GOOD_ENTRY, GOOD_ENTRY], "duplicate"),
        ([{**GOOD_ENTRY, "comment": ""}], "comment"),
        ([{**GOOD_ENTRY, "id": "Bad-Id"}], "snake_case"),
        ([{**GOOD_ENTRY, "patterns": [[{"LOWER": True}]]}], "invalid token pattern"),
        ([{**GOOD_ENTRY, "extra": 1}], "unknown keys"),
        ([{**GOOD_ENTRY, "patterns": [[{"ENT_TYPE": "PERSON"}]]}], "not entities"),
    ],
)
def test_bad_patterns_are_rejected(nlp: spacy.Language, entries: list, message: str) -> None:
    with pytest.raises(PatternError, match=message):
        Detector(nlp, ["disclosure_abuse"], entries)


def test_lemma_patterns_need_a_lemmatizer() -> None:
    with pytest.raises(PatternError, match="lemmatizer"):
        Detector.from_file(spacy.blank("en"), PATTERNS)


# ------------------------------------------------------------------ the safety test sets


def test_safety_sets_are_well_formed() -> None:
    must, harmless = _load(MUST_CATCH), _load(FALSE_ALARM)
    assert len(must) >= 170 and len(harmless) >= 100
    counts = Counter(case["situation"] for case in must)
    assert set(counts) == set(SITUATIONS) and min(counts.values()) >= 14
    for case in must + harmless:
        assert case["audience"] in {"pupil", "parent", "teacher"}
        assert case["age"] is None or 9 <= case["age"] <= 18
    texts = [_norm(case["text"]) for case in must + harmless]
    assert len(texts) == len(set(texts)), "duplicate test messages"


def test_must_catch_is_not_training_data() -> None:
    training = set()
    for block in _load(TRAINING)["nlu"]:
        training |= {_norm(line.strip()[2:]) for line in block["examples"].splitlines() if line.strip()}
    overlap = [case["text"] for case in _load(MUST_CATCH) if _norm(case["text"]) in training]
    assert not overlap


def test_false_alarm_rate_is_at_most_one_percent(detector: Detector, nlp: spacy.Language) -> None:
    cases = _load(FALSE_ALARM)
    fired = [(case["text"], hit) for case in cases if (hit := detector.detect(nlp(case["text"])))]
    rate = len(fired) / len(cases)
    print(f"\nsafeguarding detector false alarms: {len(fired)}/{len(cases)} = {rate:.1%}")
    for text, hit in fired:
        print(f"  false alarm: {text!r} -> {hit.pattern_id}")
    assert rate <= 0.01


def _non_disclosure_examples() -> list[tuple[str, str]]:
    """(intent, text) for every example of every intent that is not a disclosure_* in data/nlu and tests/nlu."""
    out = []
    for path in NLU_FILES:
        for block in _load(path).get("nlu") or []:
            intent = block.get("intent")
            if not intent or intent.startswith("disclosure_"):
                continue
            for line in (block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    out.append((intent, _ANNOTATION.sub(r"\1", line[2:]).strip()))
    return out


def test_false_alarm_rate_on_non_disclosure_nlu_examples(detector: Detector, nlp: spacy.Language) -> None:
    """Knowledge questions ("is threatening to share nudes a crime", "how do i talk to my 13 year old about
    sexting") must get their knowledge answer: the detector may fire on at most 1% of them."""
    cases = _non_disclosure_examples()
    assert len(cases) >= 1000
    fired = [(intent, text, hit) for intent, text in cases if (hit := detector.detect(nlp(text)))]
    rate = len(fired) / len(cases)
    print(f"\nsafeguarding detector on non-disclosure NLU examples: {len(fired)}/{len(cases)} = {rate:.2%}")
    for intent, text, hit in fired:
        print(f"  fired: [{intent}] {text!r} -> {hit.pattern_id}")
    assert rate <= 0.01


def test_report_recall_on_must_catch(detector: Detector, nlp: spacy.Language) -> None:
    cases = _load(MUST_CATCH)
    caught, exact, total = Counter(), Counter(), Counter()
    for case in cases:
        total[case["situation"]] += 1
        hit = detector.detect(nlp(case["text"]))
        if hit:
            caught[case["situation"]] += 1
            exact[case["situation"]] += hit.situation == case["situation"]
    recall = sum(caught.values()) / len(cases)
    print(f"\nsafeguarding detector recall on must_catch: {sum(caught.values())}/{len(cases)} = {recall:.1%}")
    print(f"  (same situation as labelled: {sum(exact.values())}/{len(cases)}; the rest fired a more urgent one)")
    for situation in SITUATIONS:
        print(f"  {situation:30s} {caught[situation]:3d}/{total[situation]:<3d} same situation {exact[situation]}")
    # The classifier catches the rest; this floor only guards against a broken patterns file.
    assert recall >= 0.6
