"""Scorecard.flag_bits, which the database writes from `flags`, holds FLAG_BITS[code] for exactly the codes a
card raises, however the card was written: the portfolio counts and filters failure modes by it."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from kpis.models import FLAG_BITS, FLAG_LABELS, Scorecard
from kpis.recompute import recompute_scorecards

pytestmark = pytest.mark.django_db


def bits_of(flags: list[dict]) -> int:
    return sum(FLAG_BITS[flag["code"]] for flag in flags)


@pytest.mark.parametrize(
    "flags",
    [
        [],
        [{"code": "pilot-theater", "label": "Pilot theater", "days": 230}],
        # An older snapshot's flag carries its reason; a label that names another flag does not set its bit.
        [{"code": "cost-rising", "label": "Cost rising", "reason": "behind-plan and stale-data: see the KPI"}],
        [{"code": code, "label": label} for code, label in FLAG_LABELS.items()],
    ],
    ids=["none", "one", "one with a reason naming others", "every flag"],
)
def test_a_saved_card_has_the_bits_of_its_codes(initiative, flags):
    card = Scorecard.objects.create(initiative=initiative, computed_at=timezone.now(), health="red", flags=flags)
    assert Scorecard.objects.values_list("flag_bits", flat=True).get(pk=card.pk) == bits_of(flags)


def test_the_recompute_s_cards_have_the_bits_of_their_flags(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
    call_command("seed_demo", stdout=StringIO())
    recompute_scorecards(full=True)

    cards = list(Scorecard.objects.filter(is_latest=True))
    assert len({flag["code"] for card in cards for flag in card.flags}) >= 3  # the demo raises several kinds
    for card in cards:
        assert card.flag_bits == bits_of(card.flags), card
