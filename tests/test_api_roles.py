"""/api/v1/initiatives/<slug>/roles/: who holds which role, assigned and removed with an audit row."""

import pytest

from governance.models import AuditEvent
from initiatives.models import RoleAssignment
from tests.lifecycle import api_as, assert_problem

pytestmark = pytest.mark.django_db


def _url(initiative, suffix: str = "") -> str:
    return f"/api/v1/initiatives/{initiative.slug}/roles/{suffix}"


def _holders(initiative) -> list[tuple[str, str]]:
    return sorted(RoleAssignment.objects.filter(initiative=initiative).values_list("role", "user__username"))


def test_it_lists_the_roles(sam, initiative):
    response = api_as(sam).get(_url(initiative))

    assert response.status_code == 200
    body = response.json()
    assert [(r["role"], r["user"], r["is_accountable"], r["assigned_by"]) for r in body] == [
        ("executive-sponsor", "sam", True, "alice"),
        ("product-manager", "alice", True, "alice"),
    ]
    assert set(body[0]) == {"id", "role", "user", "is_accountable", "assigned_by", "assigned_at", "accepted_at"}


def test_it_assigns_a_role(alice, rita, initiative):
    response = api_as(alice).post(_url(initiative), {"role": "security-risk", "user": "rita"}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["role"], body["user"], body["is_accountable"], body["accepted_at"]) == (
        "security-risk",
        "rita",
        False,
        None,
    )
    assert ("security-risk", "rita") in _holders(initiative)
    event = AuditEvent.objects.filter(action="role.assigned").last()
    assert (event.actor_username, event.after, event.before) == (
        "alice",
        {"role": "security-risk", "user": "rita"},
        None,
    )


def test_a_shared_role_may_have_several_holders(alice, rita, dana, initiative):
    client = api_as(alice)
    for username in ("rita", "dana"):
        assert (
            client.post(_url(initiative), {"role": "security-risk", "user": username}, format="json").status_code == 201
        )

    assert [h for h in _holders(initiative) if h[0] == "security-risk"] == [
        ("security-risk", "dana"),
        ("security-risk", "rita"),
    ]


def test_an_accountable_role_has_one_holder(alice, lee, initiative):
    response = api_as(alice).post(_url(initiative), {"role": "executive-sponsor", "user": "lee"}, format="json")

    assert response.status_code == 201, response.content
    assert [h for h in _holders(initiative) if h[0] == "executive-sponsor"] == [("executive-sponsor", "lee")]
    event = AuditEvent.objects.filter(action="role.assigned").last()
    assert event.before == {"role": "executive-sponsor", "users": ["sam"]}
    assert event.after == {"role": "executive-sponsor", "user": "lee"}


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"role": "chief-vibes-officer", "user": "rita"}, "role"),
        ({"role": "cto", "user": "nobody"}, "user"),
        ({"role": "cto"}, "user"),
        ({"user": "rita"}, "role"),
    ],
)
def test_unknown_roles_and_users_are_a_400(alice, rita, initiative, payload, field):
    before = _holders(initiative)

    assert_problem(api_as(alice).post(_url(initiative), payload, format="json"), 400, field)

    assert _holders(initiative) == before


def test_a_deactivated_user_cannot_be_assigned(alice, rita, initiative):
    rita.is_active = False
    rita.save()

    assert_problem(api_as(alice).post(_url(initiative), {"role": "cto", "user": "rita"}, format="json"), 400, "user")


def test_only_editors_assign_roles(alice, rita, charlie, initiative):
    api_as(alice).post(_url(initiative), {"role": "security-risk", "user": "rita"}, format="json")

    assert_problem(api_as(rita).post(_url(initiative), {"role": "cto", "user": "rita"}, format="json"), 403)
    assert_problem(api_as(charlie).post(_url(initiative), {"role": "cto", "user": "charlie"}, format="json"), 404)
    assert_problem(api_as(charlie).get(_url(initiative)), 404)
    assert ("cto", "rita") not in _holders(initiative)


def test_it_removes_a_role(alice, sam, initiative):
    assignment = RoleAssignment.objects.get(initiative=initiative, user=sam)

    response = api_as(alice).delete(_url(initiative, f"{assignment.pk}/"))

    assert response.status_code == 204
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    event = AuditEvent.objects.get(action="role.removed")
    assert (event.actor_username, event.before) == ("alice", {"role": "executive-sponsor", "user": "sam"})


def test_removing_an_unknown_or_foreign_assignment_is_a_404(alice, make_initiative, initiative):
    other = make_initiative("Sales call summaries")
    foreign = RoleAssignment.objects.filter(initiative=other).first()

    assert_problem(api_as(alice).delete(_url(initiative, "999999/")), 404)
    assert_problem(api_as(alice).delete(_url(initiative, f"{foreign.pk}/")), 404)
    assert RoleAssignment.objects.filter(pk=foreign.pk).exists()


def test_only_editors_remove_roles(alice, rita, initiative):
    assignment = api_as(alice).post(_url(initiative), {"role": "security-risk", "user": "rita"}, format="json").json()
    sponsor = RoleAssignment.objects.get(initiative=initiative, role="executive-sponsor")

    assert_problem(api_as(rita).delete(_url(initiative, f"{sponsor.pk}/")), 403)

    assert RoleAssignment.objects.filter(pk=sponsor.pk).exists()
    assert RoleAssignment.objects.filter(pk=assignment["id"]).exists()
    assert not AuditEvent.objects.filter(action="role.removed").exists()
