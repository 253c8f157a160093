"""Organisation SSO over OpenID Connect (R-LOGIN).

The protocol is authlib's: authorization code with PKCE, a random `state` kept in the session
and used once, a random `nonce` that the signed ID token must carry back, the token's
signature checked against the provider's published keys, and its issuer, audience and expiry
checked. This module adds the hub's rules around it:

- discovery: the organisation is found from the domain of the email the user typed;
- presets: Google Workspace and Okta, with what each needs (Google's hosted-domain claim);
- outbound safety: the server fetches from an address a customer typed, so only public HTTPS
  addresses are allowed (loopback too when HUB_SSO_ALLOW_LOOPBACK), and redirects are never
  followed;
- who gets in: the email the provider vouches for must be in one of the organisation's
  domains, and must belong to an existing member of that organisation. A first SSO sign-in
  links that member; nobody is ever created here.
"""

from __future__ import annotations

import hashlib
import ipaddress
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.django_client import DjangoIntegration, DjangoOAuth2App
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from joserfc.errors import JoseError

from hub.accounts.models import IdentityProvider, IdentityProviderKind

SCOPES = "openid email profile"
DISCOVERY_PATH = "/.well-known/openid-configuration"
DISCOVERY_CACHE_SECONDS = 60 * 60
# Clock difference allowed between us and the provider when checking the ID token's times.
LEEWAY_SECONDS = 60


@dataclass(frozen=True)
class ProviderPreset:
    kind: IdentityProviderKind
    issuer: str | None
    issuer_hint: str | Promise
    client_id_hint: str | Promise
    # Google vouches for any address someone has verified, even outside Workspace; its "hd"
    # claim says the account is managed by the organisation's own Workspace domain.
    hosted_domain_claim: str | None = None


PRESETS: dict[str, ProviderPreset] = {
    IdentityProviderKind.GOOGLE: ProviderPreset(
        kind=IdentityProviderKind.GOOGLE,
        issuer="https://accounts.google.com",
        issuer_hint=_("Always https://accounts.google.com for Google Workspace."),
        client_id_hint=_(
            "From Google Cloud console, APIs & Services, Credentials: an OAuth client of type "
            "“Web application”. It ends in .apps.googleusercontent.com."
        ),
        hosted_domain_claim="hd",
    ),
    IdentityProviderKind.OKTA: ProviderPreset(
        kind=IdentityProviderKind.OKTA,
        issuer=None,
        issuer_hint=_(
            "Your Okta authorization server, for example "
            "https://your-company.okta.com/oauth2/default."
        ),
        client_id_hint=_(
            "From the Okta admin console, Applications: an OIDC “Web Application” integration."
        ),
    ),
    IdentityProviderKind.OIDC: ProviderPreset(
        kind=IdentityProviderKind.OIDC,
        issuer=None,
        issuer_hint=_(
            "The issuer identifier of your provider: the address its "
            "/.well-known/openid-configuration is published under."
        ),
        client_id_hint=_("The client ID your provider gave the hub's application."),
    ),
}


class SsoError(Exception):
    """A sign-in through an identity provider that cannot go on; `message` says why."""

    def __init__(self, message: str | Promise) -> None:
        super().__init__(str(message))
        self.message = message


class SsoUnavailable(SsoError):
    """The provider cannot be reached, or does not answer as an OpenID provider must."""


class SsoRefused(SsoError):
    """The provider answered, and the person it vouches for may not come in."""


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def callback_path(provider: IdentityProvider) -> str:
    return reverse("sso_callback", args=[provider.slug])


# --- Outbound requests -----------------------------------------------------------------------


def _loopback_allowed() -> bool:
    return bool(settings.HUB_SSO_ALLOW_LOOPBACK)


def outbound_url_check(url: str) -> None:
    """Refuse a URL the server must not fetch: not HTTPS, or not a public address."""
    parts = urlsplit(url)
    host = parts.hostname
    unavailable = SsoUnavailable(
        _("The provider address %(url)s is not a public HTTPS address.") % {"url": url}
    )
    if not host:
        raise unavailable
    loopback_name = host in {"localhost", "127.0.0.1", "::1"}
    if parts.scheme != "https" and not (
        parts.scheme == "http" and loopback_name and _loopback_allowed()
    ):
        raise unavailable
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = {
            info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
        }
    except (OSError, ValueError) as exc:
        raise SsoUnavailable(
            _("The provider address %(url)s cannot be reached.") % {"url": url}
        ) from exc
    for address in addresses:
        ip = ipaddress.ip_address(str(address).split("%")[0])
        if ip.is_global or (ip.is_loopback and _loopback_allowed()):
            continue
        raise unavailable


class GuardedSession(OAuth2Session):  # type: ignore[misc]
    """authlib's HTTP session, checking every address and never following a redirect."""

    def request(  # type: ignore[no-untyped-def]
        self, method, url, withhold_token=False, auth=None, **kwargs
    ):
        outbound_url_check(url)
        kwargs["allow_redirects"] = False
        kwargs.setdefault("timeout", settings.HUB_SSO_HTTP_TIMEOUT)
        return super().request(method, url, withhold_token=withhold_token, auth=auth, **kwargs)


class OrganisationOidcClient(DjangoOAuth2App):  # type: ignore[misc]
    client_cls = GuardedSession


# --- Discovery -------------------------------------------------------------------------------


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + DISCOVERY_PATH


def discovery_fetch(issuer: str) -> dict[str, Any]:
    """The provider's published configuration, checked; cached for an hour."""
    cache_key = "hub:oidc-discovery:" + hashlib.sha256(issuer.encode()).hexdigest()
    cached = cache.get(cache_key)
    if cached:
        return dict(cached)
    url = discovery_url(issuer)
    try:
        with GuardedSession() as session:
            response = session.request("GET", url, withhold_token=True)
        response.raise_for_status()
        document = response.json()
    except SsoError:
        raise
    except (requests.RequestException, ValueError) as exc:
        raise SsoUnavailable(_("The provider did not answer at %(url)s.") % {"url": url}) from exc
    if not isinstance(document, dict):
        raise SsoUnavailable(
            _("The provider's configuration at %(url)s is not valid.") % {"url": url}
        )
    if document.get("issuer") != issuer:
        raise SsoUnavailable(
            _("The provider calls itself “%(found)s”, not “%(issuer)s”.")
            % {"found": document.get("issuer"), "issuer": issuer}
        )
    for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = document.get(endpoint)
        if not isinstance(value, str):
            raise SsoUnavailable(
                _("The provider's configuration has no %(name)s.") % {"name": endpoint}
            )
        outbound_url_check(value)
    cache.set(cache_key, document, DISCOVERY_CACHE_SECONDS)
    return document


def issuer_confirm(typed: str) -> str:
    """The issuer exactly as the provider publishes it, for what an administrator typed.

    Issuers are compared character for character; a trailing slash is the usual difference.
    """
    for candidate in dict.fromkeys([typed, typed.rstrip("/"), typed.rstrip("/") + "/"]):
        try:
            discovery_fetch(candidate)
        except SsoUnavailable as exc:
            error = exc
            continue
        return candidate
    raise error


def client_for(provider: IdentityProvider) -> OrganisationOidcClient:
    name = f"hub-sso-{provider.slug}"
    client = OrganisationOidcClient(
        DjangoIntegration(name),
        name=name,
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        server_metadata_url=discovery_url(provider.issuer),
        client_kwargs={"scope": SCOPES, "code_challenge_method": "S256"},
    )
    client.server_metadata.update(discovery_fetch(provider.issuer))
    client.server_metadata["_loaded_at"] = time.time()
    return client


# --- The sign-in -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SsoOutcome:
    claims: dict[str, Any]
    next_url: str
    environment: str


def sso_begin(
    request: HttpRequest,
    provider: IdentityProvider,
    *,
    login_hint: str,
    next_url: str,
    environment: str,
) -> HttpResponseRedirect:
    """Send the browser to the organisation's provider, remembering state, nonce and PKCE."""
    client = client_for(provider)
    redirect_uri = request.build_absolute_uri(callback_path(provider))
    extra: dict[str, str] = {}
    if login_hint:
        extra["login_hint"] = login_hint
    preset = PRESETS[provider.kind]
    if preset.hosted_domain_claim and login_hint:
        extra["hd"] = email_domain(login_hint)
    authorization = client.create_authorization_url(redirect_uri, **extra)
    client.save_authorize_data(
        request,
        redirect_uri=redirect_uri,
        state=authorization["state"],
        nonce=authorization["nonce"],
        code_verifier=authorization["code_verifier"],
        hub_next=next_url,
        hub_environment=environment,
    )
    return HttpResponseRedirect(authorization["url"])


def sso_complete(request: HttpRequest, provider: IdentityProvider) -> SsoOutcome:
    """Check the provider's answer and return the claims it vouches for.

    Raises SsoRefused when the answer is not one we asked for in this browser (unknown or
    reused state, wrong nonce, bad signature, wrong issuer or audience) or says no.
    """
    try:
        client = client_for(provider)
    except SsoUnavailable:
        raise
    start_again = _("The sign-in could not be completed. Please start again.")
    state = request.GET.get("state", "")
    pending = client.framework.get_state_data(request.session, state) if state else None
    if not pending:
        raise SsoRefused(start_again)
    returned_issuer = request.GET.get("iss")
    if returned_issuer is not None and returned_issuer != provider.issuer:
        # RFC 9207: the answer came from another provider than the one we sent them to.
        raise SsoRefused(start_again)
    if request.GET.get("error"):
        client.framework.clear_state_data(request.session, state)
        raise SsoRefused(
            _("Your organisation's sign-in service did not let you in (%(error)s).")
            % {"error": request.GET.get("error_description") or request.GET["error"]}
        )
    try:
        token = client.authorize_access_token(
            request,
            claims_options={"iss": {"essential": True, "value": provider.issuer}},
            leeway=LEEWAY_SECONDS,
        )
        claims = dict(token.get("userinfo") or {})
        if not claims:
            raise SsoRefused(start_again)
        if "email" not in claims:
            # Some providers put only the subject in the ID token; ask for the rest.
            extra = dict(client.userinfo(token=token))
            if extra.get("sub") != claims.get("sub"):
                raise SsoRefused(start_again)
            claims = {**extra, **claims}
    except SsoError:
        raise
    except (AuthlibBaseError, JoseError, requests.RequestException, ValueError, KeyError) as exc:
        raise SsoRefused(start_again) from exc
    return SsoOutcome(
        claims=claims,
        next_url=str(pending.get("hub_next") or ""),
        environment=str(pending.get("hub_environment") or ""),
    )
