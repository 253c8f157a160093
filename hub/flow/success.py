"""The "Your services" page of Success Package customers: their Technical Success Manager,
and the Success Check intake that becomes a ticket for the TSM's team.

Only a member with an Enterprise Support seat in an organisation holding Success Packages
has these pages; for everyone else they do not exist (404), and the hub home shows no link.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from hub.accounts.http import AuthenticatedHttpRequest
from hub.accounts.models import Membership, User
from hub.accounts.selectors import success_membership_of
from hub.flow import services
from hub.flow.contact import confirmation_redirect, replayed_ticket
from hub.flow.forms import SuccessCheckForm
from routing.languages import reading_language


def success_membership_for(request: AuthenticatedHttpRequest) -> Membership:
    """The signed-in seat holder's membership with their organisation and its TSM; 404 for
    anyone without a seat in an organisation with Success Packages."""
    membership = success_membership_of(request.user)
    if membership is None:
        raise Http404
    # What the ticket service reads of the requester's membership, this request has read.
    User.membership.related.set_cached_value(request.user, membership)
    return membership


@login_required
@never_cache
@require_GET
def your_services(request: AuthenticatedHttpRequest) -> HttpResponse:
    membership = success_membership_for(request)
    organisation = membership.organisation
    return render(
        request,
        "hub/flow/your_services.html",
        {"organisation": organisation, "tsm": organisation.technical_success_manager},
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def success_check(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Request a Success Check: a short intake, one ticket, then the confirmation."""
    membership = success_membership_for(request)
    if request.method == "POST" and (replay := replayed_ticket(request)):
        return confirmation_redirect(replay)
    form = SuccessCheckForm(
        request.POST if request.method == "POST" else None,
        today=timezone.localdate(),
        time_zone=request.user.time_zone,
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.success_check_request_submit(
                requester=request.user,
                membership=membership,
                review=data["review"],
                earliest=data["earliest"],
                latest=data["latest"],
                time_of_day=data["time_of_day"],
                notes=data["notes"],
                language=reading_language(),
                idempotency_key=data["idempotency_key"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("hub:confirmation", number=ticket.number)
    return render(
        request,
        "hub/flow/success_check.html",
        {"form": form, "tsm": membership.organisation.technical_success_manager},
    )
