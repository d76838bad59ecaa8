"""Which help routes fit a situation, for an audience, age and nation.

`routes()` is a pure function: situation x audience x age x nation -> an ordered list of route ids. A route
id is a service id from bot/content/services.yml, or one of the people routes "dsl" and "trusted_adult".
The order is the order the answer gives them in: the most urgent first.
"""

from __future__ import annotations

from bot.answers.content_library import Service, services
from bot.answers.nations import nation_key

PEOPLE = ("dsl", "trusted_adult")

# The base order for a young person, by situation. Eligibility (age, nation) is applied afterwards.
PUPIL_ROUTES = {
    "disclosure_immediate_danger": ["police_emergency", "childline", "trusted_adult", "dsl"],
    "disclosure_self_harm": ["samaritans", "shout", "papyrus", "childline", "trusted_adult", "police_emergency"],
    "disclosure_sextortion": ["ceop", "police_101", "report_remove", "childline", "trusted_adult", "dsl"],
    "disclosure_image_shared": ["report_remove", "childline", "dsl", "trusted_adult"],
    "disclosure_grooming": ["ceop", "police_101", "trusted_adult", "dsl", "childline"],
    "disclosure_abuse": ["childline", "trusted_adult", "dsl", "police_101", "police_emergency"],
    "disclosure_pressure_images": ["childline", "trusted_adult", "dsl", "report_remove"],
    # About a friend: the friend can use Report Remove themselves; anyone can report to the IWF anonymously.
    "disclosure_friend": ["childline", "trusted_adult", "dsl", "report_remove", "iwf", "ceop"],
    # A pupil who types a parent's or teacher's words still gets the pupil routes.
    "disclosure_parent_report": ["childline", "trusted_adult", "dsl", "ceop", "report_remove"],
    "disclosure_teacher_report": ["childline", "trusted_adult", "dsl", "ceop", "report_remove"],
}
# A pupil's safety answer always names Childline (while they are under 19) and 999: whatever the profile, the
# nation never drops them, and Childline is added when a situation does not list it. (999 is also in every
# answer's closing words; bot.answers.safety.check_pupil_answer refuses an answer without both numbers.)
PUPIL_ALWAYS = ("childline", "police_emergency")
# Situations about someone else: the routes fit the person it is about, so the reader's age does not swap or
# drop them (an 18-year-old's friend may well be under 18).
ABOUT_SOMEONE_ELSE = ("disclosure_friend",)

# For someone aged 18 or over: the adult routes in place of the under-18 ones (CEOP and Report Remove are for
# under-18s; Take It Down is for images taken before 18).
ADULT_SWAP = {
    "report_remove": ["revenge_porn_helpline", "take_it_down", "police_101"],
    "ceop": ["police_101"],
}

# Parents and carers: the NSPCC for adults, CEOP and Report Remove where images or online abuse are involved,
# and the school. Crises (danger, self-harm, abuse in person) leave out the routes that do not fit them.
PARENT_IMAGES = ["nspcc", "ceop", "report_remove", "dsl", "police_101", "police_emergency"]
PARENT_ROUTES = {
    "disclosure_immediate_danger": ["police_emergency", "nspcc", "dsl", "police_101"],
    "disclosure_self_harm": ["police_emergency", "samaritans", "shout", "papyrus", "nspcc", "dsl"],
    "disclosure_abuse": ["nspcc", "dsl", "police_101", "police_emergency"],
    "disclosure_sextortion": ["ceop", "police_101", "nspcc", "report_remove", "dsl", "police_emergency"],
}

# Staff: the DSL now (UKCIS), then the routes the DSL uses; crises again without CEOP and Report Remove.
TEACHER_IMAGES = ["dsl", "ceop", "police_101", "nspcc", "report_remove", "police_emergency"]
TEACHER_ROUTES = {
    "disclosure_immediate_danger": ["police_emergency", "dsl", "police_101", "nspcc"],
    "disclosure_self_harm": ["dsl", "police_emergency", "samaritans", "papyrus", "childline"],
    "disclosure_abuse": ["dsl", "police_101", "nspcc", "police_emergency"],
}

SITUATIONS = tuple(PUPIL_ROUTES)


def _dedupe(ids: list[str]) -> list[str]:
    seen, out = set(), []
    for rid in ids:
        if rid not in seen:
            seen.add(rid)
            out.append(rid)
    return out


def _eligible(service: Service, age: int | None, nation: str) -> bool:
    return service.serves_age(age) and (not service.nations or nation in service.nations)


def _adult(ids: list[str]) -> list[str]:
    return [new for rid in ids for new in ADULT_SWAP.get(rid, [rid])]


def routes(
    situation: str, audience: str | None = "pupil", age: int | None = None, nation: str = "england"
) -> list[str]:
    """The ordered help routes for a situation. Unknown audiences are treated as pupils."""
    if situation not in PUPIL_ROUTES:
        raise ValueError(f"unknown situation: {situation}")
    nation = nation_key(nation)
    registry = services()
    if audience == "parent":
        ids, age = PARENT_ROUTES.get(situation, PARENT_IMAGES), None
    elif audience == "teacher":
        ids, age = TEACHER_ROUTES.get(situation, TEACHER_IMAGES), None
    else:
        return _pupil_routes(situation, age, nation)
    return _dedupe([rid for rid in ids if rid in PEOPLE or _eligible(registry[rid], age, nation)])


def _pupil_routes(situation: str, age: int | None, nation: str) -> list[str]:
    registry = services()
    ids = list(PUPIL_ROUTES[situation])
    about_others = situation in ABOUT_SOMEONE_ELSE
    if age is not None and age >= 18 and not about_others:
        ids = _adult(ids)
    out = []
    for rid in [*ids, "childline"]:
        if rid in PEOPLE:
            out.append(rid)
        elif rid in PUPIL_ALWAYS:
            if registry[rid].serves_age(age):
                out.append(rid)
        elif _eligible(registry[rid], None if about_others else age, nation):
            out.append(rid)
    return _dedupe(out)
