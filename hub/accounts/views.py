"""Sign-in (password, organisation SSO, the FedRAMP entrance), invitations, and the brand
administrator's pages: members and roles, Enterprise Support seats, single sign-on."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from urllib.parse import urlencode

from allauth.account.adapter import get_adapter
from allauth.account.utils import get_next_redirect_url
from allauth.core import ratelimit
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from hub.accounts import selectors, services
from hub.accounts.forms import (
    IdentifierForm,
    IdentityProviderForm,
    InvitationAcceptForm,
    InviteForm,
    MemberRolesForm,
    PasswordLoginForm,
    ProfileForm,
    SeatAssignForm,
)
from hub.accounts.http import AuthenticatedHttpRequest, HtmxHttpRequest
from hub.accounts.models import (
    EnterpriseSeat,
    Environment,
    IdentityProvider,
    Invitation,
    Membership,
)
from hub.accounts.sso import (
    PRESETS,
    SsoError,
    SsoRefused,
    callback_path,
    discovery_fetch,
    sso_begin,
    sso_complete,
)

logger = logging.getLogger(__name__)

# What the first step remembers for the second: the email address or username typed.
IDENTIFIER_SESSION_KEY = "hub_login_identifier"
# The entrance (commercial or FedRAMP) the SSO sign-in was started from.
SSO_ENTRANCE_SESSION_KEY = "hub_sso_entrance"


@dataclass(frozen=True)
class Entrance:
    environment: str
    login_url_name: str
    password_url_name: str
    template_dir: str


ENTRANCES: dict[str, Entrance] = {
    Environment.COMMERCIAL: Entrance(
        Environment.COMMERCIAL, "account_login", "account_login_password", "account"
    ),
    Environment.FEDRAMP: Entrance(
        Environment.FEDRAMP, "fedramp_login", "fedramp_login_password", "hub/fedramp"
    ),
}


def _with_next(url: str, next_url: str | None) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _too_many_attempts(request: HtmxHttpRequest, entrance: Entrance) -> HttpResponse:
    return render(
        request,
        "account/too_many_attempts.html",
        {"entrance": entrance, "login_url": reverse(entrance.login_url_name)},
        status=429,
    )


def _already_signed_in(request: HtmxHttpRequest, next_url: str | None) -> HttpResponse:
    return HttpResponseRedirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))


@sensitive_post_parameters("password")
@never_cache
def login_identify(request: HtmxHttpRequest, environment: str) -> HttpResponse:
    """Step one: the email address or username. SSO organisations go to their provider."""
    entrance = ENTRANCES[environment]
    next_url = get_next_redirect_url(request)
    if request.user.is_authenticated:
        return _already_signed_in(request, next_url)
    other_entrance_url = None
    if request.method == "POST":
        if not ratelimit.consume(request, action="login"):
            return _too_many_attempts(request, entrance)
        if request.POST.get("password"):
            # Both at once (a password manager, a script): the same as the second step.
            return _password_attempt(request, entrance, next_url)
        form = IdentifierForm(request.POST)
        if form.is_valid():
            login = form.cleaned_data["login"]
            request.session[IDENTIFIER_SESSION_KEY] = login
            provider = selectors.identity_provider_for_login(login)
            if provider is None:
                return redirect(_with_next(reverse(entrance.password_url_name), next_url))
            if provider.organisation.environment != environment:
                other = ENTRANCES[provider.organisation.environment]
                other_entrance_url = reverse(other.login_url_name)
                form.add_error(
                    "login",
                    _("%(organisation)s signs in on another sign-in page.")
                    % {"organisation": provider.organisation.name},
                )
            else:
                try:
                    # Asked now, so that an unreachable provider is explained on this page.
                    discovery_fetch(provider.issuer)
                except SsoError as exc:
                    logger.warning("SSO of %s unavailable: %s", provider.organisation, exc)
                    form.add_error(None, _unreachable_message(provider))
                else:
                    request.session[SSO_ENTRANCE_SESSION_KEY] = environment
                    start = reverse("sso_start", args=[provider.slug])
                    return redirect(_with_next(start, next_url))
    else:
        form = IdentifierForm(initial={"login": request.session.get(IDENTIFIER_SESSION_KEY, "")})
    return render(
        request,
        f"{entrance.template_dir}/login.html",
        {
            "form": form,
            "entrance": entrance,
            "next_url": next_url,
            "other_entrance_url": other_entrance_url,
        },
    )


def _unreachable_message(provider: IdentityProvider) -> str:
    return _(
        "We could not reach %(organisation)s's sign-in service. Try again in a few minutes, "
        "or ask your brand administrator to check it."
    ) % {"organisation": provider.organisation.name}


@never_cache
def sso_start(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Send the browser on to the organisation's provider.

    Not a redirect from the sign-in form's POST: the Content Security Policy's form-action
    'self' would stop a form submission that ends at another origin. This page is reached by
    a same-origin redirect and moves on with a Refresh header (and a link, for browsers that
    do not follow it), which is a new navigation, not the form's.
    """
    provider = get_object_or_404(
        IdentityProvider.objects.select_related("organisation"), slug=slug, is_enabled=True
    )
    environment = provider.organisation.environment
    entrance = ENTRANCES[environment]
    next_url = get_next_redirect_url(request)
    if request.user.is_authenticated:
        return _already_signed_in(request, next_url)
    login = str(request.session.get(IDENTIFIER_SESSION_KEY, ""))
    if request.session.get(SSO_ENTRANCE_SESSION_KEY) != environment:
        # Only through the organisation's own entrance (FedRAMP users sign in only there).
        return redirect(_with_next(reverse(entrance.login_url_name), next_url))
    try:
        onward = sso_begin(
            request,
            provider,
            login_hint=login if "@" in login else "",
            next_url=next_url or "",
            environment=environment,
        )
    except SsoError as exc:
        logger.warning("SSO of %s unavailable: %s", provider.organisation, exc)
        return render(
            request,
            "account/sso_refused.html",
            {
                "message": _unreachable_message(provider),
                "organisation": provider.organisation,
                "login_url": reverse(entrance.login_url_name),
            },
            status=503,
        )
    response = render(
        request,
        "account/sso_redirect.html",
        {"provider_url": onward.url, "organisation": provider.organisation},
    )
    response["Refresh"] = f"0;url={onward.url}"
    return response


@sensitive_post_parameters("password")
@never_cache
def login_password(request: HtmxHttpRequest, environment: str) -> HttpResponse:
    """Step two: the password, for everyone whose organisation does not use SSO."""
    entrance = ENTRANCES[environment]
    next_url = get_next_redirect_url(request)
    if request.user.is_authenticated:
        return _already_signed_in(request, next_url)
    if request.method == "POST":
        if not ratelimit.consume(request, action="login"):
            return _too_many_attempts(request, entrance)
        return _password_attempt(request, entrance, next_url)
    login = request.session.get(IDENTIFIER_SESSION_KEY)
    if not login:
        return redirect(_with_next(reverse(entrance.login_url_name), next_url))
    form = PasswordLoginForm(
        initial={"login": login}, request=request, environment=entrance.environment
    )
    return _render_password_page(request, entrance, form, next_url)


def _password_attempt(
    request: HtmxHttpRequest, entrance: Entrance, next_url: str | None
) -> HttpResponse:
    form = PasswordLoginForm(request.POST, request=request, environment=entrance.environment)
    if form.is_valid():
        try:
            response: HttpResponse = form.login(request, redirect_url=next_url)
        except ImmediateHttpResponse as exc:
            immediate: HttpResponse = exc.response
            return immediate
        request.session.pop(IDENTIFIER_SESSION_KEY, None)
        return response
    return _render_password_page(request, entrance, form, next_url)


def _render_password_page(
    request: HtmxHttpRequest, entrance: Entrance, form: PasswordLoginForm, next_url: str | None
) -> HttpResponse:
    login = form["login"].value() or ""
    return render(
        request,
        f"{entrance.template_dir}/login_password.html",
        {
            "form": form,
            "entrance": entrance,
            "login": login,
            "next_url": next_url,
            "change_url": _with_next(reverse(entrance.login_url_name), next_url),
            "other_entrance_url": form.other_entrance_url,
            "sso_required": any(
                error.code == "sso_required" for error in form.non_field_errors().as_data()
            ),
        },
    )


@never_cache
def sso_callback(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The organisation's provider sends the browser back here with a code."""
    provider = get_object_or_404(
        IdentityProvider.objects.select_related("organisation"), slug=slug, is_enabled=True
    )
    entrance = ENTRANCES[provider.organisation.environment]
    try:
        outcome = sso_complete(request, provider)
        if outcome.environment != provider.organisation.environment:
            raise SsoRefused(_("The sign-in could not be completed. Please start again."))
        user = services.sso_user_for(provider, outcome.claims)
    except SsoError as exc:
        # The person sees a plain reason; operators see the protocol's own (bad nonce, ...).
        logger.info(
            "SSO sign-in refused for %s: %s (%r)", provider.organisation, exc, exc.__cause__
        )
        return render(
            request,
            "account/sso_refused.html",
            {
                "message": exc.message,
                "organisation": provider.organisation,
                "login_url": reverse(entrance.login_url_name),
            },
            status=403,
        )
    adapter = get_adapter(request)
    adapter.login(request, user)
    request.session.pop(IDENTIFIER_SESSION_KEY, None)
    next_url = (
        outcome.next_url if outcome.next_url and adapter.is_safe_url(outcome.next_url) else ""
    )
    return HttpResponseRedirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))


@login_required
def sessions(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's signed-in sessions, and a way to end all but this one."""
    if request.method == "POST":
        ended = services.sessions_end_others(
            user=request.user,
            keep_session_key=request.session.session_key,
        )
        messages.success(
            request, _("You have been signed out everywhere else (%(count)s).") % {"count": ended}
        )
        return redirect("account_sessions")
    user_sessions = UserSession.objects.purge_and_list(request.user)
    return render(
        request,
        "account/sessions.html",
        {"user_sessions": user_sessions, "current_key": request.session.session_key},
    )


@login_required
@never_cache
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's own account: name, language and time zone; links to password and sessions."""
    user = request.user
    form = ProfileForm(
        request.POST if request.method == "POST" else None,
        initial={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "preferred_language": user.preferred_language,
            "time_zone": user.time_zone,
        },
    )
    if form.is_valid():
        try:
            user = services.user_profile_update(user=user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            language = user.preferred_language
            with translation.override(language):
                messages.success(request, _("Your account details have been saved."))
            response = redirect("account_profile")
            # The language cookie (set by the footer's switcher) outranks the account's
            # preference: set it too, or an older choice would keep winning.
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
            return response
    return render(request, "account/profile.html", {"form": form})


def email_management_not_offered(request: HtmxHttpRequest) -> HttpResponse:
    # An account's email address is its identity in the organisation (and for SSO): brand
    # administrators and support change it, not the user alone.
    raise Http404


# --- Invitations -----------------------------------------------------------------------------


@sensitive_post_parameters("password1", "password2")
@never_cache
def invitation_accept(request: HtmxHttpRequest, token: str) -> HttpResponse:
    invitation = selectors.invitation_for_token(token, now=timezone.now())
    if invitation is None:
        return render(request, "account/invitation_invalid.html", status=410)
    if request.user.is_authenticated:
        return render(
            request, "account/invitation_signed_in.html", {"invitation": invitation}, status=409
        )
    organisation = invitation.organisation
    uses_sso = IdentityProvider.objects.filter(organisation=organisation, is_enabled=True).exists()
    form = InvitationAcceptForm(
        request.POST if request.method == "POST" else None,
        email=invitation.email,
        needs_password=not uses_sso,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_accept(
                invitation=invitation,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                password=None if uses_sso else form.cleaned_data["password1"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            entrance = ENTRANCES[organisation.environment]
            request.session[IDENTIFIER_SESSION_KEY] = invitation.email
            messages.success(
                request,
                _("Your account is ready. Sign in to the Customer Success Hub.")
                if not uses_sso
                else _("Your account is ready. Continue to sign in with your organisation."),
            )
            target = entrance.login_url_name if uses_sso else entrance.password_url_name
            return redirect(target)
    return render(
        request,
        "account/invitation_accept.html",
        {"form": form, "invitation": invitation, "uses_sso": uses_sso},
    )


# --- The brand administrator's pages ---------------------------------------------------------


def _administered(request: AuthenticatedHttpRequest) -> Membership:
    """The brand administrator's own membership; 404 for everybody else, staff included."""
    membership = selectors.administered_membership(request.user)
    if membership is None:
        raise Http404
    return membership


@login_required
def members(request: AuthenticatedHttpRequest) -> HttpResponse:
    membership = _administered(request)
    organisation = membership.organisation
    return render(
        request,
        "hub/members/members.html",
        {
            "organisation": organisation,
            "members": selectors.members_of(organisation),
            "invitations": selectors.open_invitations_of(organisation, now=timezone.now()),
            "seats": selectors.seat_summary(organisation),
            "section": "members",
        },
    )


@login_required
def member_roles(request: AuthenticatedHttpRequest, membership_id: int) -> HttpResponse:
    own = _administered(request)
    organisation = own.organisation
    member = selectors.member_of(organisation, membership_id)
    if member is None:
        raise Http404
    initial = {
        "is_brand_admin": member.is_brand_admin,
        "is_billing_contact": member.is_billing_contact,
        "is_primary_contact": member.is_primary_contact,
    }
    form = MemberRolesForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_roles_update(
                membership=member,
                by=request.user,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, _("The roles of %(member)s have been saved.") % {"member": member.user}
            )
            if member.pk == own.pk and not form.cleaned_data["is_brand_admin"]:
                return redirect("hub:home")
            return redirect("organisation:members")
    return render(
        request,
        "hub/members/member_roles.html",
        {"organisation": organisation, "member": member, "form": form, "section": "members"},
    )


@login_required
def member_invite(request: AuthenticatedHttpRequest) -> HttpResponse:
    membership = _administered(request)
    organisation = membership.organisation
    form = InviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(
                organisation=organisation,
                email=form.cleaned_data["email"],
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("We have sent an invitation to %(email)s. The link works for 7 days.")
                % {"email": invitation.email},
            )
            return redirect("organisation:members")
    return render(
        request,
        "hub/members/invite.html",
        {"organisation": organisation, "form": form, "section": "members"},
    )


@login_required
@require_POST
def invitation_cancel(request: AuthenticatedHttpRequest, invitation_id: int) -> HttpResponse:
    membership = _administered(request)
    invitation = get_object_or_404(
        Invitation, pk=invitation_id, organisation=membership.organisation
    )
    services.invitation_cancel(invitation=invitation, by=request.user)
    messages.success(
        request, _("The invitation to %(email)s is cancelled.") % {"email": invitation.email}
    )
    return redirect("organisation:members")


def _seats_page(
    request: AuthenticatedHttpRequest,
    membership: Membership,
    form: SeatAssignForm,
    status: int = 200,
) -> HttpResponse:
    organisation = membership.organisation
    return render(
        request,
        "hub/members/seats.html",
        {
            "organisation": organisation,
            "seats": selectors.seat_summary(organisation),
            "holders": selectors.seats_of(organisation),
            "form": form,
            "section": "seats",
        },
        status=status,
    )


@login_required
def seats(request: AuthenticatedHttpRequest) -> HttpResponse:
    membership = _administered(request)
    return _seats_page(request, membership, SeatAssignForm(organisation=membership.organisation))


@login_required
@require_POST
def seat_assign(request: AuthenticatedHttpRequest) -> HttpResponse:
    membership = _administered(request)
    organisation = membership.organisation
    form = SeatAssignForm(request.POST, organisation=organisation)
    if form.is_valid():
        member: Membership = form.cleaned_data["member"]
        try:
            services.seat_assign(
                organisation=organisation,
                user=member.user,
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("%(member)s now holds an Enterprise Support seat.") % {"member": member.user},
            )
            return redirect("organisation:seats")
    return _seats_page(request, membership, form, status=400)


@login_required
@require_POST
def seat_release(request: AuthenticatedHttpRequest, seat_id: int) -> HttpResponse:
    membership = _administered(request)
    organisation = membership.organisation
    seat = get_object_or_404(
        EnterpriseSeat.objects.select_related("user"), pk=seat_id, organisation=organisation
    )
    # Released in the meantime by another administrator: the page shows the outcome anyway.
    with contextlib.suppress(ValidationError):
        services.seat_release(
            organisation=organisation,
            user=seat.user,
            by=request.user,
        )
    messages.success(
        request, _("The seat of %(member)s has been released.") % {"member": seat.user}
    )
    return redirect("organisation:seats")


@login_required
def organisation_sign_in(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The organisation's single sign-on: which identity provider, and the client it uses."""
    membership = _administered(request)
    organisation = membership.organisation
    provider = IdentityProvider.objects.filter(organisation=organisation).first()
    initial = (
        {
            "kind": provider.kind,
            "issuer": provider.issuer,
            "client_id": provider.client_id,
            "is_enabled": provider.is_enabled,
        }
        if provider
        else {"kind": "", "is_enabled": True}
    )
    form = IdentityProviderForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        has_secret=bool(provider),
    )
    if request.method == "POST" and form.is_valid():
        try:
            provider = services.identity_provider_save(
                organisation=organisation,
                kind=form.cleaned_data["kind"],
                issuer=form.cleaned_data["issuer"],
                client_id=form.cleaned_data["client_id"],
                client_secret=form.cleaned_data["client_secret"] or None,
                is_enabled=form.cleaned_data["is_enabled"],
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Single sign-on settings saved."))
            return redirect("organisation:sign_in")
    redirect_uri = None
    if provider is not None:
        redirect_uri = request.build_absolute_uri(callback_path(provider))
    return render(
        request,
        "hub/members/sign_in.html",
        {
            "organisation": organisation,
            "provider": provider,
            "form": form,
            "redirect_uri": redirect_uri,
            "presets": PRESETS,
            "domains": sorted(selectors.organisation_domains(organisation)),
            "section": "sign_in",
        },
    )


@require_POST
def language_set(request: HtmxHttpRequest) -> HttpResponse:
    """Switch the interface language, and remember it on the account of a signed-in user."""
    if request.user.is_authenticated:
        services.user_language_set(user=request.user, language=request.POST.get("language", ""))
    return set_language(request)
