"""The approver's inbox (/approvals/ and "Reviews waiting for me" on /): open reviews split into "waiting
for me" and "others" from a few narrow rows, as open_slots_for tells of each review; each list is paged,
and the pages cost the same number of queries whatever the number of open reviews."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.models import GateDecision, GateReview
from governance.permissions import open_slots_for
from governance.reviews import approval_inbox
from initiatives.models import Role
from tests.lifecycle import decide, give_role, pass_charter_signoff, request

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviews(make_initiative, alice, sam, lee, rita, dana):
    """Open reviews in every state the rule tells apart, and a closed one."""
    untouched = request(make_initiative("Untouched high-risk charter", risk_tier="high"), alice)
    half_approved = request(make_initiative("Half-approved charter", risk_tier="high"), alice)
    decide(half_approved, lee)  # as CTO: the sponsor's slot stays open
    stale = request(make_initiative("Charter with a stale approval", risk_tier="high"), alice)
    decide(stale, sam)
    GateDecision.objects.filter(review=stale).update(is_stale=True)  # as a material charter edit leaves it
    by_sam = request(make_initiative("Charter Sam requested"), sam)
    foundation = make_initiative("Foundation under review", risk_tier="high")
    give_role(foundation, Role.SECURITY_RISK, rita, by=alice)
    give_role(foundation, Role.DATA_PLATFORM, dana, by=alice)
    give_role(foundation, Role.SECURITY_RISK, lee, by=alice)
    pass_charter_signoff(foundation, requester=alice, approver=lee)
    decide(GateReview.objects.get(initiative=foundation, status=GateReview.Status.OPEN), sam)
    foundation_review = request(foundation, alice)
    decide(foundation_review, rita)
    return [untouched, half_approved, stale, by_sam, foundation_review]


def _by_the_review(user) -> set[int]:
    open_reviews = GateReview.objects.visible_to(user).for_approval_pages().filter(status=GateReview.Status.OPEN)
    return {r.pk for r in open_reviews if r.requested_by_id != user.pk and open_slots_for(user, r)}


def test_the_inbox_agrees_with_open_slots_for(reviews, alice, sam, lee, rita, dana, charlie):
    seen = set()
    for user in (alice, sam, lee, rita, dana, charlie):
        inbox = approval_inbox(user)
        expected = _by_the_review(user)
        assert set(inbox.awaiting) == expected, user.username
        visible = GateReview.objects.visible_to(user).filter(status=GateReview.Status.OPEN)
        assert set(inbox.others) == set(visible.values_list("pk", flat=True)) - expected, user.username
        seen |= expected
    assert seen == {r.pk for r in reviews}  # every review waits for someone: the grid is not trivially empty


def test_the_longest_waiting_come_first_and_the_newest_others(reviews, alice, sam):
    def requested(ids):
        return [GateReview.objects.get(pk=pk).requested_at for pk in ids]

    waiting = approval_inbox(sam).awaiting
    others = approval_inbox(alice).others  # she decides none of them
    assert len(waiting) > 1 and requested(waiting) == sorted(requested(waiting))
    assert len(others) == len(reviews) and requested(others) == sorted(requested(others), reverse=True)


@pytest.fixture
def many_reviews(make_initiative, alice):
    def make(count: int) -> None:
        for n in range(GateReview.objects.count(), count):
            request(make_initiative(f"Initiative {n:02d}"), alice)

    return make


@pytest.mark.parametrize("url", ["/approvals/", "/"])
def test_the_inbox_pages_cost_the_same_queries_with_many_reviews(
    client, lee, many_reviews, django_assert_max_num_queries, url
):
    client.force_login(lee)
    many_reviews(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200

    many_reviews(40)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert "Page 1 of" in page


def _review_links(page: str) -> int:
    return len(re.findall(r'href="/approvals/\d+/"', page))


def test_approvals_page_each_list_and_keeps_the_other_lists_page(client, lee, alice, many_reviews):
    many_reviews(25)  # all waiting for Lee; Alice requested them, so for her they are "others"
    client.force_login(lee)
    page = client.get("/approvals/?others_page=1").content.decode()
    assert _review_links(page) == 20
    assert "Waiting for my decision <span" in page and "(25)" in page
    assert 'href="?others_page=1&amp;waiting_page=2#waiting" rel="next"' in page
    assert "No other open reviews on initiatives you can see." in page

    second = client.get("/approvals/?waiting_page=2").content.decode()
    assert _review_links(second) == 5
    assert 'href="?waiting_page=1#waiting" rel="prev"' in second

    client.force_login(alice)
    mine = client.get("/approvals/").content.decode()
    assert "Your inbox is clear" in mine
    assert 'href="?others_page=2#others" rel="next"' in mine


def test_my_work_pages_the_reviews_waiting(client, lee, many_reviews):
    many_reviews(12)
    client.force_login(lee)
    page = client.get("/").content.decode()
    assert page.count("Open decision pack") == 10
    assert 'href="?reviews_page=2#reviews" rel="next"' in page
    assert client.get("/?reviews_page=2").content.decode().count("Open decision pack") == 2
