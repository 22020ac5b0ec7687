from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from governance import services
from governance.errors import TransitionError
from governance.forms import DecisionForm, TokenForm
from governance.foundation import services as foundation
from governance.foundation.forms import ChecklistAnswerForm
from governance.models import ApiToken, GateReview
from governance.reviews import approval_inbox, as_review_rows, decision_pack, page_of_reviews
from governance.tokens import issue_token, revoke_token
from opmodel.forms import apply_errors, save_form

REVIEWS_PER_PAGE = 20


@login_required
def approval_list(request):
    inbox = approval_inbox(request.user)
    decided = GateReview.objects.visible_to(request.user).exclude(status=GateReview.Status.OPEN)
    context = {
        "awaiting": page_of_reviews(inbox.awaiting, request.GET.get("waiting_page"), per_page=REVIEWS_PER_PAGE),
        "others": page_of_reviews(inbox.others, request.GET.get("others_page"), per_page=REVIEWS_PER_PAGE),
        "decided": as_review_rows(decided.order_by("-closed_at", "-id")[:20]),
    }
    return render(request, "governance/approval_list.html", context)


@login_required
def approval_detail(request, pk):
    review = get_object_or_404(GateReview.objects.visible_to(request.user).for_approval_pages(), pk=pk)
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                decision = services.decide(review.pk, acting_user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            except TransitionError as exc:
                messages.error(request, str(exc))
                return redirect("governance:approval_detail", pk=review.pk)
            else:
                messages.success(request, f"Recorded: {decision.get_decision_display()}.")
                return redirect("governance:approval_detail", pk=review.pk)
        else:
            form.add_error(None, "Choose a decision.")
    return render(request, "governance/approval_detail.html", decision_pack(request.user, review, form))


# Where a new token's key waits, between the POST that issued it and the page view that shows it once.
ISSUED_KEY_SESSION_SLOT = "governance:new-token"


@login_required
@never_cache  # the page may hold a new key: no copy of it in the browser's cache or history
def token_list(request):
    """Redirect-after-POST, so a refresh cannot issue a second token: the key rides in the session to the
    next page view, which shows it and forgets it."""
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data["expires_in_days"]
        expires_at = timezone.now() + timedelta(days=days) if days else None
        try:
            token, key = issue_token(
                acting_user=request.user, user=request.user, name=form.cleaned_data["name"], expires_at=expires_at
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            request.session[ISSUED_KEY_SESSION_SLOT] = {"name": token.name, "key": key}
            return redirect("governance:tokens")
    new_token = request.session.pop(ISSUED_KEY_SESSION_SLOT, None) if request.method == "GET" else None
    tokens = ApiToken.objects.filter(user=request.user)
    return render(request, "governance/token_list.html", {"form": form, "tokens": tokens, "new_token": new_token})


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    revoke_token(token.pk, acting_user=request.user)
    messages.success(request, f"Token “{token.name}” revoked; clients using it now get 401.")
    return redirect("governance:tokens")


@login_required
@require_POST
def checklist_answer(request, pk):
    review = get_object_or_404(GateReview.objects.visible_to(request.user).for_approval_pages(), pk=pk)
    pack = reverse("governance:approval_detail", args=[review.pk]) + "#checklist"
    try:
        item_id = int(request.POST.get("item", ""))
    except ValueError:
        messages.error(request, "Choose a question to answer.")
        return redirect(pack)
    form = ChecklistAnswerForm(request.POST, prefix=f"q{item_id}")
    try:
        done = save_form(
            form,
            lambda data: foundation.answer_checklist(review.pk, acting_user=request.user, item_id=item_id, **data),
        )
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect(pack)
    if done:
        messages.success(request, f"Answer recorded: {done.item.question} {done.get_answer_display()}.")
        return redirect(pack)
    context = decision_pack(request.user, review, DecisionForm(), bound={item_id: form})
    return render(request, "governance/approval_detail.html", context)
