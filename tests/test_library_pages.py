"""The library pages: search and filters, asset pages, diffs, labels, used-by, publishing and notifications."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from governance.library import services as library
from governance.models import (
    Asset,
    AssetLabel,
    AssetUsage,
    AssetVersion,
    AuditEvent,
    LabelMoveRequest,
    Notification,
)
from initiatives import services
from initiatives.models import Role
from initiatives.shortcuts import tab_url

PROMPT = "Classify this ticket:\n{{ticket_text}}\nAnswer with one of {{categories}}.\n"
EVALUATION = "input,expected\nPrinter jammed,hardware\nCannot log in,access\n"
PLAYBOOK = "# Escalation playbook\n\nEscalate to tier 2 when confidence is below 0.7.\n"
SECURITY = "# Retrieval scope\n\nOnly the public knowledge base may be retrieved.\n"


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def make_asset(user, name="Ticket triage prompt", type=Asset.Type.PROMPT_TEMPLATE, content=PROMPT, **fields):
    return library.create_asset(acting_user=user, name=name, type=type, content=content, **fields)


def listed(response) -> list[str]:
    assert response.status_code == 200
    return [asset.name for asset in response.context["assets"]]


def give_role(initiative, user, role):
    services.assign_role(initiative.pk, acting_user=initiative.created_by, role=role, user=user)


@pytest.fixture
def catalogue(alice, dana, lee):
    """Three assets that differ in every filterable way."""
    prompt = make_asset(alice, tags=["support", "triage"], owner_team="Customer Support", description="Ticket routing")
    playbook = make_asset(
        dana, name="Escalation playbook", type=Asset.Type.PLAYBOOK, content=PLAYBOOK, tags=["support"]
    )
    evaluation = make_asset(
        lee, name="Invoice extraction cases", type=Asset.Type.EVALUATION_SET, content=EVALUATION, tags=["finance"]
    )
    evaluation.owner_team = "Finance Ops"
    evaluation.save()
    library.move_label(playbook.pk, acting_user=dana, name="recommended", version_number=1)
    return prompt, playbook, evaluation


@pytest.mark.parametrize("url", ["/library/", "/library/new/", "/notifications/"])
def test_library_pages_ask_anonymous_users_to_log_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


class TestList:
    def test_it_lists_every_asset_with_its_facts(self, login, catalogue, charlie):
        response = login(charlie).get("/library/")
        assert listed(response) == ["Escalation playbook", "Invoice extraction cases", "Ticket triage prompt"]
        html = response.content.decode()
        for text in ("Search the library", "Prompt template", "Customer Support", "recommended → v1", "v1"):
            assert text in html

    def test_search_narrows_the_list(self, login, catalogue, charlie):
        client = login(charlie)
        assert listed(client.get("/library/", {"q": "triage"})) == ["Ticket triage prompt"]
        assert listed(client.get("/library/", {"q": "escalation"})) == ["Escalation playbook"]
        assert sorted(listed(client.get("/library/", {"q": "support"}))) == [
            "Escalation playbook",
            "Ticket triage prompt",
        ]

    @pytest.mark.parametrize(
        "params, expected",
        [
            ({"type": "playbook"}, ["Escalation playbook"]),
            ({"tag": "support"}, ["Escalation playbook", "Ticket triage prompt"]),
            ({"tag": "finance"}, ["Invoice extraction cases"]),
            ({"owner": "Finance Ops"}, ["Invoice extraction cases"]),
            ({"label": "recommended"}, ["Escalation playbook"]),
            ({"tag": "support", "type": "prompt-template"}, ["Ticket triage prompt"]),
        ],
    )
    def test_each_filter_narrows_the_list(self, login, catalogue, charlie, params, expected):
        assert listed(login(charlie).get("/library/", params)) == expected

    def test_the_owner_filter_takes_a_person(self, login, catalogue, charlie, dana):
        assert listed(login(charlie).get("/library/", {"owner": dana.username})) == ["Escalation playbook"]

    def test_an_unknown_filter_value_is_reported_and_ignored(self, login, catalogue, charlie):
        response = login(charlie).get("/library/", {"type": "spreadsheet"})
        assert len(listed(response)) == 3
        assert "Select a valid choice" in response.content.decode()

    def test_an_empty_library_explains_how_to_publish(self, login, charlie):
        html = login(charlie).get("/library/").content.decode()
        assert "The library has no assets yet." in html
        assert "Publish as asset" in html

    def test_no_match_offers_to_clear_the_filters(self, login, catalogue, charlie):
        response = login(charlie).get("/library/", {"q": "kubernetes"})
        assert listed(response) == []
        assert "No asset matches" in response.content.decode()
        assert "clear the filters" in response.content.decode()

    def test_it_paginates_with_a_constant_number_of_queries(self, login, alice, charlie, django_assert_max_num_queries):
        for n in range(25):
            make_asset(alice, name=f"Prompt {n:02d}", tags=[f"tag-{n % 3}"])
        client = login(charlie)
        with django_assert_max_num_queries(12):
            response = client.get("/library/")
        assert len(listed(response)) == 20
        assert "Page 1 of 2" in response.content.decode()
        assert len(listed(client.get("/library/", {"page": "2"}))) == 5
        assert len(listed(client.get("/library/", {"page": "zzz"}))) == 20


class TestCreate:
    def test_it_creates_an_asset_with_its_first_version(self, login, alice):
        response = login(alice).post(
            "/library/new/",
            {
                "name": "Ticket triage prompt",
                "type": "prompt-template",
                "description": "Routes tickets",
                "tags": "Support, triage,, ",
                "owner_team": "Customer Support",
                "content": PROMPT.replace("\n", "\r\n"),
                "changelog": "Initial version.",
            },
        )
        asset = Asset.objects.get()
        assert response["Location"] == asset.get_absolute_url()
        assert (asset.owner, asset.owner_team) == (alice, "Customer Support")
        assert sorted(asset.tags.values_list("name", flat=True)) == ["support", "triage"]
        assert asset.versions.get().content == PROMPT  # line endings as published, not as the browser sent them
        assert AuditEvent.objects.filter(action="asset.created").exists()

    @pytest.mark.parametrize(
        "type, content, message",
        [
            ("evaluation-set", "input,expected\nPrinter jammed,hardware,extra\n", "CSV row 2 has a different number"),
            ("evaluation-set", "just a header\n", "needs a header row and at least one case"),
            ("prompt-template", "Summarise the ticket for me.", "none found"),
            ("playbook", "no heading here", "Markdown headings"),
            ("dataset-reference", "name: tickets", "Missing key(s): location"),
        ],
    )
    def test_content_is_validated_for_its_type_and_nothing_is_written(self, login, alice, type, content, message):
        fields = {"name": "Bad", "type": type, "content": content, "changelog": "Initial version."}
        response = login(alice).post("/library/new/", fields)
        assert response.status_code == 200
        assert message in response.content.decode()
        assert response.context["form"].errors["content"]
        assert not Asset.objects.exists()
        assert not AssetVersion.objects.exists()
        assert not AuditEvent.objects.filter(action__startswith="asset.").exists()

    def test_an_asset_named_new_does_not_hide_the_form(self, login, alice):
        asset = make_asset(alice, name="New")
        assert asset.slug != "new"
        assert login(alice).get("/library/new/").context["form"] is not None


class TestDetail:
    def test_a_playbook_renders_as_markdown_without_raw_html(self, login, alice, charlie):
        asset = make_asset(
            alice, name="Escalation", type=Asset.Type.PLAYBOOK, content=PLAYBOOK + "\n<script>alert(1)</script>\n"
        )
        html = login(charlie).get(asset.get_absolute_url()).content.decode()
        assert "<h1>Escalation playbook</h1>" in html
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    def test_a_prompt_template_highlights_its_variables(self, login, alice, charlie):
        asset = make_asset(alice, content=PROMPT + "<b>bold</b>")
        html = login(charlie).get(asset.get_absolute_url()).content.decode()
        assert '<mark class="var">{{ticket_text}}</mark>' in html
        assert '<mark class="var">{{categories}}</mark>' in html
        assert "&lt;b&gt;bold&lt;/b&gt;" in html

    def test_an_evaluation_set_shows_as_a_table(self, login, alice, charlie):
        asset = make_asset(alice, name="Cases", type=Asset.Type.EVALUATION_SET, content=EVALUATION)
        html = login(charlie).get(asset.get_absolute_url()).content.decode()
        assert "<th>input</th><th>expected</th>" in html
        assert "<td>Printer jammed</td>" in html

    def test_it_shows_history_and_an_older_version_on_request(self, login, alice, charlie):
        asset = make_asset(alice)
        library.publish_version(asset.pk, acting_user=alice, content=PROMPT + "Be brief.\n", changelog="Shorter")
        client = login(charlie)
        latest = client.get(asset.get_absolute_url())
        assert latest.context["shown"].number == 2
        html = latest.content.decode()
        assert "Shorter" in html
        assert asset.versions.get(number=1).checksum[:12] in html
        assert "Compare versions" in html
        assert client.get(asset.get_absolute_url(), {"version": "1"}).context["shown"].number == 1

    @pytest.mark.parametrize("version", ["9", "abc", "-1", "1.5"])
    def test_a_bad_version_number_shows_a_message(self, login, alice, charlie, version):
        asset = make_asset(alice)
        response = login(charlie).get(asset.get_absolute_url(), {"version": version})
        assert response.status_code == 200
        assert "has no version" in response.content.decode()
        assert response.context["shown"].number == 1

    @pytest.mark.parametrize("path", ["/library/no-such-asset/", "/library/no-such-asset/diff/"])
    def test_unknown_slugs_are_404(self, login, charlie, path):
        assert login(charlie).get(path).status_code == 404

    def test_used_by_lists_only_initiatives_the_reader_can_see(self, login, alice, charlie, initiative):
        asset = make_asset(alice)
        library.adopt_version(initiative.pk, acting_user=alice, asset=asset)
        assert initiative.title in login(alice).get(asset.get_absolute_url()).content.decode()
        html = login(charlie).get(asset.get_absolute_url()).content.decode()
        assert initiative.title not in html
        assert "And 1 initiative you cannot see." in html


class TestDiff:
    def test_it_shows_added_and_removed_lines(self, login, alice, charlie):
        asset = make_asset(alice, content="Line one {{a}}\nLine two\n")
        library.publish_version(asset.pk, acting_user=alice, content="Line one {{a}}\nLine 2\n", changelog="Renamed")
        library.publish_version(asset.pk, acting_user=alice, content="Line one {{a}}\nLine 3\n", changelog="Again")
        response = login(charlie).get(f"/library/{asset.slug}/diff/", {"from": "1", "to": "3"})
        html = response.content.decode()
        assert '<span class="diff-del">-Line two</span>' in html
        assert '<span class="diff-add">+Line 3</span>' in html
        assert "v1 → v3" in html

    def test_it_shows_one_line_per_diff_line_with_no_blank_line_between(self, login, alice, charlie):
        asset = make_asset(alice, content="Line one {{a}}\nLine two\n")
        library.publish_version(asset.pk, acting_user=alice, content="Line one {{a}}\nLine 2\n", changelog="Renamed")
        html = login(charlie).get(f"/library/{asset.slug}/diff/").content.decode()
        diff = re.search(r'<pre class="diff"[^>]*>(.*?)</pre>', html, re.S).group(1)
        # Each line is a block span; a newline between them would render (and copy) as an empty line.
        assert re.fullmatch(r'(<span class="diff-\w+">[^<\n]*</span>)+', diff), diff
        assert '<span class="diff-del">-Line two</span><span class="diff-add">+Line 2</span>' in diff

    def test_it_compares_the_two_latest_by_default(self, login, alice, charlie):
        asset = make_asset(alice, content="A {{a}}\n")
        library.publish_version(asset.pk, acting_user=alice, content="B {{a}}\n", changelog="B")
        library.publish_version(asset.pk, acting_user=alice, content="C {{a}}\n", changelog="C")
        pair = login(charlie).get(f"/library/{asset.slug}/diff/").context["pair"]
        assert [v.number for v in pair] == [2, 3]

    def test_the_asset_page_offers_the_previous_and_the_latest_version(self, login, alice, charlie):
        asset = make_asset(alice, content="A {{a}}\n")
        library.publish_version(asset.pk, acting_user=alice, content="B {{a}}\n", changelog="B")
        library.publish_version(asset.pk, acting_user=alice, content="C {{a}}\n", changelog="C")
        html = login(charlie).get(asset.get_absolute_url()).content.decode()
        assert re.search(r'<select name="from"[^>]*>.*?<option value="2" selected>', html, re.S)
        assert re.search(r'<select name="to"[^>]*>\s*<option value="3" selected>', html, re.S)

    def test_with_one_version_there_is_nothing_to_compare(self, login, alice, charlie):
        asset = make_asset(alice)
        response = login(charlie).get(f"/library/{asset.slug}/diff/")
        assert response.context["pair"] is None
        html = response.content.decode()
        assert "has one version so far: nothing to compare yet" in html
        assert 'name="from"' not in html, "no v1 → v1 to pick"

    def test_the_same_version_on_both_sides_is_refused(self, login, alice, charlie):
        asset = make_asset(alice)
        library.publish_version(asset.pk, acting_user=alice, content="B {{a}}\n", changelog="B")
        response = login(charlie).get(f"/library/{asset.slug}/diff/", {"from": "2", "to": "2"})
        assert response.context["pair"] is None
        assert "Choose two different versions: v2 is on both sides." in response.content.decode()

    @pytest.mark.parametrize("params", [{"from": "9", "to": "1"}, {"from": "x", "to": "1"}, {"to": "1"}])
    def test_bad_version_numbers_show_a_message(self, login, alice, charlie, params):
        asset = make_asset(alice)
        response = login(charlie).get(f"/library/{asset.slug}/diff/", params)
        assert response.status_code == 200
        assert response.context["pair"] is None
        assert response.context["form"].errors


class TestPublishVersion:
    def test_a_curator_publishes_and_consumers_of_the_old_version_are_told(
        self, login, lee, alice, dana, initiative, make_initiative
    ):
        asset = make_asset(lee)
        library.adopt_version(initiative.pk, acting_user=alice, asset=asset)
        give_role(make_initiative("Platform work"), dana, Role.PLATFORM_ENGINEERING)  # dana curates the library
        assets_tab = tab_url(initiative, "assets")
        assert "newer version available" not in login(alice).get(assets_tab).content.decode()

        response = login(dana).post(
            asset.get_absolute_url(), {"content": PROMPT + "Be brief.\r\n", "changelog": "Shorter answers"}
        )

        assert response["Location"] == asset.get_absolute_url()
        version = asset.versions.get(number=2)
        assert (version.author, version.changelog, version.content) == (dana, "Shorter answers", PROMPT + "Be brief.\n")
        told = Notification.objects.get(user=alice)
        assert "v2" in told.message and told.url == asset.get_absolute_url()
        assert Notification.objects.filter(user=dana).count() == 0
        html = login(alice).get(assets_tab).content.decode()
        assert "newer version available" in html
        assert f"/library/{asset.slug}/diff/?from=1&amp;to=2" in html
        assert "Notifications (1)" in html

    def test_the_form_is_prefilled_with_the_latest_content(self, login, alice):
        asset = make_asset(alice)
        assert login(alice).get(asset.get_absolute_url()).context["publish_form"]["content"].value() == PROMPT

    def test_identical_content_or_no_changelog_is_refused_next_to_the_field(self, login, alice):
        asset = make_asset(alice)
        client = login(alice)
        response = client.post(asset.get_absolute_url(), {"content": PROMPT, "changelog": "Nothing"})
        assert "Identical to v1" in str(response.context["publish_form"].errors["content"])
        response = client.post(asset.get_absolute_url(), {"content": "no variables", "changelog": "x"})
        assert "none found" in str(response.context["publish_form"].errors["content"])
        assert asset.versions.count() == 1

    @pytest.mark.parametrize("who", ["sam", "charlie"])
    def test_a_non_curator_gets_403(self, request, login, alice, who):
        asset = make_asset(alice)
        client = login(request.getfixturevalue(who))
        assert "Publish new version" not in client.get(asset.get_absolute_url()).content.decode()
        response = client.post(asset.get_absolute_url(), {"content": PROMPT + "x\n", "changelog": "Mine"})
        assert response.status_code == 403
        assert asset.versions.count() == 1


class TestLabels:
    def test_a_label_on_an_ordinary_asset_moves_at_once(self, login, alice):
        asset = make_asset(alice)
        library.publish_version(asset.pk, acting_user=alice, content=PROMPT + "v2\n", changelog="Two")
        response = login(alice).post(f"/library/{asset.slug}/labels/", {"name": "recommended", "version": "1"})
        assert response.status_code == 302
        assert AssetLabel.objects.get(asset=asset, name="recommended").version.number == 1
        assert AuditEvent.objects.filter(action="asset.label_moved").count() == 1

    def test_a_bad_label_move_shows_a_message(self, login, alice):
        asset = make_asset(alice)
        response = login(alice).post(
            f"/library/{asset.slug}/labels/", {"name": "recommended", "version": "7"}, follow=True
        )
        assert "No version 7 of this asset." in response.content.decode()
        assert not AssetLabel.objects.exists()

    def test_a_non_curator_cannot_move_labels(self, login, alice, charlie):
        asset = make_asset(alice)
        response = login(charlie).post(f"/library/{asset.slug}/labels/", {"name": "recommended", "version": "1"})
        assert response.status_code == 403
        assert not AssetLabel.objects.exists()

    def test_a_security_requirement_label_waits_for_another_security_holder(self, login, rita, dana, initiative):
        give_role(initiative, rita, Role.SECURITY_RISK)
        give_role(initiative, dana, Role.SECURITY_RISK)
        asset = make_asset(rita, name="Retrieval scope", type=Asset.Type.SECURITY_REQUIREMENT, content=SECURITY)
        client = login(rita)
        assert "needs approval by a security/risk role holder" in client.get(asset.get_absolute_url()).content.decode()

        response = client.post(f"/library/{asset.slug}/labels/", {"name": "recommended", "version": "1"}, follow=True)

        label_request = LabelMoveRequest.objects.get()
        assert label_request.status == LabelMoveRequest.Status.PENDING
        assert not AssetLabel.objects.exists()
        assert "awaits approval" in response.content.decode()
        assert AuditEvent.objects.filter(action="asset.label_requested").exists()
        # The requester sees no buttons, and posting anyway is refused.
        assert "Approve recommended" not in response.content.decode()
        decide = f"/library/{asset.slug}/label-requests/{label_request.pk}/"
        assert client.post(decide, {"decision": "approve"}).status_code == 403
        label_request.refresh_from_db()
        assert label_request.status == LabelMoveRequest.Status.PENDING

        client = login(dana)
        assert 'aria-label="Approve recommended → v1"' in client.get(asset.get_absolute_url()).content.decode()
        response = client.post(decide, {"decision": "approve"})

        assert response.status_code == 302
        label_request.refresh_from_db()
        assert (label_request.status, label_request.decided_by) == (LabelMoveRequest.Status.APPROVED, dana)
        assert AssetLabel.objects.get(asset=asset, name="recommended").version.number == 1
        assert AuditEvent.objects.filter(action="asset.label_request_decided").exists()
        assert AuditEvent.objects.filter(action="asset.label_moved", actor_id=dana.pk).exists()
        again = client.post(decide, {"decision": "reject"}, follow=True)
        assert "already approved" in again.content.decode()

    def test_someone_without_the_security_role_cannot_approve(self, login, rita, alice, initiative):
        give_role(initiative, rita, Role.SECURITY_RISK)
        asset = make_asset(alice, name="Retrieval scope", type=Asset.Type.SECURITY_REQUIREMENT, content=SECURITY)
        request = library.move_label(asset.pk, acting_user=alice, name="recommended", version_number=1)
        decide = f"/library/{asset.slug}/label-requests/{request.pk}/"
        assert login(alice).post(decide, {"decision": "approve"}).status_code == 403
        assert login(rita).post(decide, {"decision": "reject"}).status_code == 302
        request.refresh_from_db()
        assert request.status == LabelMoveRequest.Status.REJECTED
        assert not AssetLabel.objects.exists()


class TestUseThisAsset:
    def test_it_pins_the_latest_or_a_chosen_version(self, login, alice, lee, initiative):
        asset = make_asset(lee)
        library.publish_version(asset.pk, acting_user=lee, content=PROMPT + "v2\n", changelog="Two")
        client = login(alice)
        url = f"/initiatives/{initiative.slug}/assets/"

        response = client.post(url, {"asset": asset.pk, "version": ""})

        assert response["Location"] == tab_url(initiative, "assets")
        assert AssetUsage.objects.get(initiative=initiative, asset=asset).version.number == 2
        client.post(url, {"asset": asset.pk, "version": "1"})
        assert AssetUsage.objects.get(initiative=initiative, asset=asset).version.number == 1
        assert AuditEvent.objects.filter(action="asset.adopted", initiative_id=initiative.pk).count() == 2
        html = client.get(tab_url(initiative, "assets")).content.decode()
        assert "Reusable assets" in html and "newer version available" in html and "Move to v2" in html

    def test_a_missing_version_shows_a_message(self, login, alice, initiative):
        asset = make_asset(alice)
        response = login(alice).post(
            f"/initiatives/{initiative.slug}/assets/", {"asset": asset.pk, "version": "5"}, follow=True
        )
        assert "has no version 5" in response.content.decode()
        assert not AssetUsage.objects.exists()

    def test_an_outsider_cannot_adopt_into_an_initiative_they_cannot_see(self, login, alice, charlie, initiative):
        asset = make_asset(alice)
        response = login(charlie).post(f"/initiatives/{initiative.slug}/assets/", {"asset": asset.pk})
        assert response.status_code == 404
        assert not AssetUsage.objects.exists()

    def test_a_viewer_who_cannot_edit_gets_403(self, login, alice, rita, initiative):
        give_role(initiative, rita, Role.SECURITY_RISK)
        asset = make_asset(alice)
        assert ">Use this asset</button>" not in login(rita).get(tab_url(initiative, "assets")).content.decode()
        response = login(rita).post(f"/initiatives/{initiative.slug}/assets/", {"asset": asset.pk})
        assert response.status_code == 403
        assert not AssetUsage.objects.exists()


class TestPublishAsAsset:
    def fields(self, client, initiative, **changes):
        """What the browser posts: the prefilled form, with the workflow's content and these changes."""
        form = client.get(f"/initiatives/{initiative.slug}/publish/").context["form"]
        prefilled = {name: form[name].value() or "" for name in form.fields}
        return {**prefilled, "prompt_template": PROMPT, "evaluation_set": EVALUATION, "playbook": PLAYBOOK, **changes}

    def test_it_publishes_three_assets_pins_them_and_republishes_what_changed(self, login, alice, initiative):
        client = login(alice)
        url = f"/initiatives/{initiative.slug}/publish/"
        assert "Publish as asset" in client.get(tab_url(initiative, "assets")).content.decode()
        assert client.get(url).status_code == 200

        response = client.post(url, self.fields(client, initiative), follow=True)

        assets = Asset.objects.filter(source_initiative=initiative)
        assert sorted(assets.values_list("type", flat=True)) == ["evaluation-set", "playbook", "prompt-template"]
        assert AssetVersion.objects.count() == 3
        assert AssetUsage.objects.filter(initiative=initiative).count() == 3
        html = response.content.decode()
        assert "Published to the library:" in html
        assert "Support triage assistant: playbook v1" in html

        form = client.get(url).context["form"]
        assert form["playbook"].value() == PLAYBOOK
        client.post(
            url, self.fields(client, initiative, playbook=PLAYBOOK + "\n## Support\n\nThe service desk owns it.\n")
        )

        playbook = assets.get(type="playbook")
        assert list(playbook.versions.values_list("number", flat=True)) == [2, 1]
        assert AssetVersion.objects.count() == 4
        assert AssetUsage.objects.get(initiative=initiative, asset=playbook).version.number == 2

    def test_errors_show_next_to_each_field_and_nothing_is_written(self, login, alice, initiative):
        client = login(alice)
        response = client.post(
            f"/initiatives/{initiative.slug}/publish/",
            self.fields(
                client, initiative, prompt_template="No variables here.", evaluation_set="input,expected\na,b,c\n"
            ),
        )
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert "none found" in str(errors["prompt_template"])
        assert "different number of columns" in str(errors["evaluation_set"])
        assert "playbook" not in errors
        assert not Asset.objects.exists()

    def test_another_editor_of_the_initiative_may_republish_its_assets(self, login, alice, sam, initiative):
        client = login(alice)
        client.post(f"/initiatives/{initiative.slug}/publish/", self.fields(client, initiative))
        client = login(sam)
        response = client.post(
            f"/initiatives/{initiative.slug}/publish/", self.fields(client, initiative, playbook=PLAYBOOK + "\nMore.\n")
        )
        assert response.status_code == 302
        assert AssetVersion.objects.count() == 4
        assert AssetVersion.objects.get(number=2).author == sam

    def test_a_viewer_who_cannot_edit_gets_403_and_an_outsider_404(self, login, alice, rita, charlie, initiative):
        give_role(initiative, rita, Role.SECURITY_RISK)
        url = f"/initiatives/{initiative.slug}/publish/"
        assert login(rita).get(url).status_code == 403
        as_posted_by_an_editor = self.fields(login(alice), initiative)
        assert login(rita).post(url, as_posted_by_an_editor).status_code == 403
        assert login(charlie).get(url).status_code == 404
        assert not Asset.objects.exists()


class TestReuseReview:
    def test_the_date_is_saved_audited_and_marks_the_scorecard_dirty(self, login, alice, initiative):
        when = timezone.localdate() + timedelta(days=14)
        url = f"/initiatives/{initiative.slug}/reuse-review/"

        response = login(alice).post(url, {"on": when.isoformat()}, follow=True)

        initiative.refresh_from_db()
        assert initiative.reuse_review_on == when
        assert initiative.scorecard_dirty_at is not None
        event = AuditEvent.objects.get(action="initiative.reuse_review_scheduled")
        assert (event.initiative_id, event.after) == (initiative.pk, {"reuse_review_on": when.isoformat()})
        assert "Reuse review scheduled for" in response.content.decode()
        assert f'value="{when.isoformat()}"' in response.content.decode()
        login(alice).post(url, {"on": when.isoformat()})
        assert AuditEvent.objects.filter(action="initiative.reuse_review_scheduled").count() == 1

    @pytest.mark.parametrize("value, message", [("2001-01-01", "in the past"), ("soon", "Enter a valid date")])
    def test_a_bad_date_shows_a_message(self, login, alice, initiative, value, message):
        response = login(alice).post(f"/initiatives/{initiative.slug}/reuse-review/", {"on": value}, follow=True)
        assert message in response.content.decode()
        initiative.refresh_from_db()
        assert initiative.reuse_review_on is None

    def test_only_editors_may_schedule(self, login, rita, charlie, initiative):
        give_role(initiative, rita, Role.SECURITY_RISK)
        url = f"/initiatives/{initiative.slug}/reuse-review/"
        when = (timezone.localdate() + timedelta(days=3)).isoformat()
        assert login(rita).post(url, {"on": when}).status_code == 403
        assert login(charlie).post(url, {"on": when}).status_code == 404


class TestNotifications:
    def test_newest_first_only_mine_and_mark_all_as_read(self, login, alice, sam):
        Notification.objects.create(user=alice, message="Older news", url="/library/")
        Notification.objects.create(user=alice, message="Newer news")
        Notification.objects.create(user=sam, message="Not for Alice")
        Notification.objects.filter(message="Older news").update(created_at=timezone.now() - timedelta(days=1))
        client = login(alice)

        html = client.get("/notifications/").content.decode()

        assert html.index("Newer news") < html.index("Older news")
        assert "Not for Alice" not in html
        assert "Notifications (2)" in html
        response = client.post("/notifications/read/", follow=True)
        assert "Marked 2 notifications as read." in response.content.decode()
        assert "Notifications (0)" in response.content.decode()
        assert not Notification.objects.filter(user=alice, read_at__isnull=True).exists()
        assert Notification.objects.get(user=sam).read_at is None

    def test_an_empty_inbox_says_what_will_arrive(self, login, charlie):
        html = login(charlie).get("/notifications/").content.decode()
        assert "No notifications." in html
        assert "Mark all as read" not in html

    def test_marking_needs_a_post(self, login, alice):
        assert login(alice).get("/notifications/read/").status_code == 405
