"""Which help routes fit a situation, for an audience, age and nation.

`routes()` is a pure function: situation x audience x age x nation -> an ordered list of route ids. A route
id is a service id from bot/content/services.yml, or one of the people routes "dsl" and "trusted_adult".
The order is the order the answer gives them in: the most urgent first.
"""

from __future__ import annotations

from bot.content import Service, services

PEOPLE = ("dsl", "trusted_adult")

# The base order for a young person, by situation. Eligibility (age, nation) is applied afterwards.
PUPIL_ROUTES = {
    "disclosure_immediate_danger": ["police_emergency", "childline", "trusted_adult", "dsl"],
    "disclosure_self_harm": ["samaritans", "shout", "childline", "trusted_adult", "police_emergency"],
    "disclosure_sextortion": ["ceop", "police_101", "report_remove", "childline", "trusted_adult", "dsl"],
    "disclosure_image_shared": ["report_remove", "childline", "dsl", "trusted_adult"],
    "disclosure_grooming": ["ceop", "police_101", "trusted_adult", "dsl", "childline"],
    "disclosure_abuse": ["childline", "trusted_adult", "dsl", "police_101", "police_emergency"],
    "disclosure_pressure_images": ["childline", "trusted_adult", "dsl", "report_remove"],
    "disclosure_friend": ["childline", "trusted_adult", "dsl", "ceop", "report_remove"],
    # A pupil who types a parent's or teacher's words still gets the pupil routes.
    "disclosure_parent_report": ["childline", "trusted_adult", "dsl", "ceop", "report_remove"],
    "disclosure_teacher_report": ["childline", "trusted_adult", "dsl", "ceop", "report_remove"],
}

# Parents and carers: the NSPCC for adults, CEOP, Report Remove for the child, and the school.
PARENT_ROUTES = ["nspcc", "ceop", "report_remove", "dsl", "police_101", "police_emergency"]
PARENT_FIRST = {
    "disclosure_immediate_danger": ["police_emergency"],
    "disclosure_self_harm": ["police_emergency", "samaritans", "shout", "childline"],
    "disclosure_sextortion": ["ceop", "police_101"],
}

# Staff: the DSL now (UKCIS), then the routes the DSL uses.
TEACHER_ROUTES = ["dsl", "ceop", "police_101", "nspcc", "report_remove", "police_emergency"]
TEACHER_FIRST = {
    "disclosure_immediate_danger": ["police_emergency", "dsl"],
    "disclosure_self_harm": ["dsl", "police_emergency", "samaritans", "childline"],
}

# For victims aged 18 or over, the adult route replaces Report Remove.
ADULT_SWAP = {"report_remove": "revenge_porn_helpline"}

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


def routes(
    situation: str, audience: str | None = "pupil", age: int | None = None, nation: str = "england"
) -> list[str]:
    """The ordered help routes for a situation. Unknown audiences are treated as pupils."""
    if situation not in PUPIL_ROUTES:
        raise ValueError(f"unknown situation: {situation}")
    if audience == "parent":
        ids, age = PARENT_FIRST.get(situation, []) + PARENT_ROUTES, None
    elif audience == "teacher":
        ids, age = TEACHER_FIRST.get(situation, []) + TEACHER_ROUTES, None
    else:
        ids = list(PUPIL_ROUTES[situation])
        if age is not None and age >= 18:
            ids = [ADULT_SWAP.get(rid, rid) for rid in ids]
    registry = services()
    ids = [rid for rid in ids if rid in PEOPLE or _eligible(registry[rid], age, nation)]
    return _dedupe(ids)
