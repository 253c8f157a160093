from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tickets.forms import VerifyForm
from tickets.verification import LinkRefused, link_check, ticket_verify


@login_required
def verify(request: HttpRequest, token: str) -> HttpResponse:
    """R-VERIFY: the customer confirms a request a TSM passed on, and decides about access."""
    user = request.user
    try:
        checked = link_check(token=token, user=user)  # type: ignore[arg-type]
    except LinkRefused as refused:
        return render(
            request, "tickets/verify_refused.html", {"reason": refused.reason}, status=410
        )
    form = VerifyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = ticket_verify(
                token=token,
                user=user,  # type: ignore[arg-type]
                allow_account_access=form.cleaned_data["account_access"],
            )
        except LinkRefused as refused:
            return render(
                request, "tickets/verify_refused.html", {"reason": refused.reason}, status=410
            )
        messages.success(
            request,
            _("Thank you: ticket %(number)s is confirmed and Enterprise Support is on it.")
            % {"number": ticket.number},
        )
        return redirect("hub:home")
    return render(request, "tickets/verify.html", {"form": form, "ticket": checked.ticket})
