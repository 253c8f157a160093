"""The support site (R-KB) and the assistant on its pages (R-BOT).

Anyone may read the articles. The assistant needs a signed-in user (anonymous visitors are
asked to sign in and come back); FedRAMP users never see it and its URLs answer 404 for
them (R-BOT-OFF). The same conversation block serves the hub flow (hub.flow.steps.area):
``assistant_ask`` and ``assistant_feedback_set`` below are what both surfaces call.

Every form works with JavaScript off (POST, then a redirect to the conversation); htmx
appends a new turn, or redraws one turn's Yes/No, in place. Every article page asks "Was
this helpful?" of every reader, signed in or not, the same way.
"""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chatbot import listings, selectors, services
from chatbot.content import LANGUAGES
from chatbot.forms import ArticleVoteForm, FeedbackForm, QuestionForm
from chatbot.models import Article, ArticleVote, Conversation, Feedback, Surface
from hub.accounts.http import AuthenticatedHttpRequest, HtmxHttpRequest, is_signed_in
from hub.accounts.models import User
from hub.accounts.selectors import administered_membership
from hub.addresses import address
from routing.models import ProductArea
from routing.selectors import knowledge_base_assistant_for

SESSION_CONVERSATION = "chatbot.knowledge_base_conversation"
# An anonymous reader's vote on articles is theirs by a random key in a signed cookie: no
# session is made for them, and the key outlives one.
VISITOR_COOKIE = "hub_reader"
VISITOR_COOKIE_SALT = "chatbot.article-vote"
VISITOR_COOKIE_AGE = 60 * 60 * 24 * 365
VISITOR_KEY_BYTES = 24
VISITOR_KEY = re.compile(r"[A-Za-z0-9_-]{32}")
VOTE_MESSAGE_TAG = "article-vote"


# --- What both surfaces share ----------------------------------------------------------------


@dataclass(frozen=True)
class AssistantPlace:
    """Where a conversation block posts to, and where "Contact support" leads."""

    ask_url: str
    feedback_url: str
    contact_url: str
    page_url: str  # the page showing the conversation (for the redirect after a POST)


def assistant_context(
    conversation: Conversation | None, *, place: AssistantPlace, form: QuestionForm | None
) -> dict[str, Any]:
    turns = selectors.turns_of(conversation, reader_language=selectors.reader_language())
    return {
        "assistant": place,
        "conversation": conversation,
        "turns": turns,
        "question_form": form or QuestionForm(initial={"conversation": _public_id(conversation)}),
    }


def _public_id(conversation: Conversation | None) -> str:
    return conversation.public_id if conversation else ""


def conversation_query(conversation: Conversation | None) -> str:
    """``conversation=<id>`` for an address that carries the conversation along ("" for none)."""
    return urlencode({"conversation": conversation.public_id}) if conversation else ""


def with_conversation(url: str, conversation: Conversation | None) -> str:
    """``url`` carrying the conversation along: the page or form opens with it."""
    query = conversation_query(conversation)
    if not query:
        return url
    return f"{url}{'&' if '?' in url else '?'}{query}"


def assistant_ask(
    request: AuthenticatedHttpRequest,
    *,
    conversation: Conversation | None,
    start: dict[str, Any],
    place_for: Callable[[Conversation | None], AssistantPlace],
    template: str,
    page_context: dict[str, Any],
) -> tuple[HttpResponse, Conversation | None]:
    """One question: answer it, keep it, and show it (appended by htmx, else a redirect).
    Returns the response and the conversation (started here if there was none)."""
    form = QuestionForm(request.POST)
    user = request.user
    turn = None
    if form.is_valid():
        try:
            question = form.cleaned_data["question"]
            if conversation is None:
                turn = services.conversation_first_ask(user=user, question=question, **start)
                conversation = turn.conversation
            else:
                turn = services.conversation_ask(conversation=conversation, question=question)
        except ValidationError as error:
            # The service names the field ({"question": ...}); add_error takes it from there.
            form.add_error(None, error)
    place: AssistantPlace = place_for(conversation)
    if turn is not None and conversation is not None:
        if request.htmx:
            view = selectors.turns_of(conversation, reader_language=selectors.reader_language())
            context = {
                **assistant_context(conversation, place=place, form=None),
                "view": next(v for v in view if v.turn.pk == turn.pk),
                "oob": True,
            }
            return render(request, "chatbot/_assistant.html#new-turn", context), conversation
        url = f"{with_conversation(place.page_url, conversation)}#turn-{turn.position}"
        return redirect(url), conversation
    context = {
        **page_context,
        **assistant_context(conversation, place=place, form=form),
        # Still indexing: the error offers Contact support beside "try again in a minute".
        "assistant_not_ready": any(
            error.code == services.NOT_READY for error in form.errors.as_data().get("question", [])
        ),
    }
    if request.htmx:
        # Only the error, in place of the one the page drew. (A panel fetched by htmx draws
        # its error box in place: marked out-of-band there, htmx would take it out.)
        context["oob"] = True
        return render(request, "chatbot/_assistant.html#question-error", context), conversation
    return render(request, template, context), conversation


def assistant_feedback_set(
    request: AuthenticatedHttpRequest,
    *,
    surface: Surface,
    place_for: Callable[[Conversation | None], AssistantPlace],
) -> HttpResponse:
    """Yes or No on one answer of the user's own conversation (404 for anyone else's)."""
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        raise Http404
    user = request.user
    conversation = selectors.conversation_of(
        user, form.cleaned_data["conversation"], surface=surface
    )
    turn = conversation.turns.filter(position=form.cleaned_data["position"]).first()
    if turn is None or not turn.answered:
        raise Http404
    services.turn_feedback_set(turn=turn, feedback=form.cleaned_data["answer"])
    place: AssistantPlace = place_for(conversation)
    if request.htmx:
        views = selectors.turns_of(conversation, reader_language=selectors.reader_language())
        context = {
            **assistant_context(conversation, place=place, form=None),
            "view": next(v for v in views if v.turn.pk == turn.pk),
        }
        return render(request, "chatbot/_assistant.html#feedback", context)
    anchor = "question" if turn.feedback == Feedback.NO else f"turn-{turn.position}"
    return redirect(f"{with_conversation(place.page_url, conversation)}#{anchor}")


# --- The support site --------------------------------------------------------------------------


def _safe_next(request: HtmxHttpRequest, value: str | None) -> str:
    """A local address to go back to, or the support site's home (never an open redirect)."""
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return reverse("support:home")


def _assistant_shown(request: HtmxHttpRequest) -> bool:
    """R-BOT-OFF: the launcher and the assistant are never shown to FedRAMP users."""
    return knowledge_base_assistant_for(request.user)


def _support_context(request: HtmxHttpRequest, *, area: str = "") -> dict[str, Any]:
    here = request.get_full_path()
    query = {"next": here, **({"area": area} if area else {})}
    return {
        "assistant_shown": _assistant_shown(request),
        "assistant_launch_url": f"{address('support:assistant')}?{urlencode(query)}",
        "assistant_panel_url": f"{address('support:assistant_panel')}?{urlencode(query)}",
        "search_query": "",
    }


@never_cache
@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    language = selectors.reader_language()
    context = {
        # Read only when the listing is not drawn already (the template's fragment cache).
        "sections": functools.partial(selectors.support_sections, language),
        "listing_key": listings.listing_key(language),
        "listing_seconds": listings.LISTING_SECONDS,
        **_support_context(request),
    }
    return render(request, "chatbot/support_home.html", context)


@never_cache
@require_GET
def area(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    language = selectors.reader_language()
    context = {
        "section": selectors.support_section(slug, language),
        "cards": functools.partial(selectors.support_section_cards, slug, language),
        "listing_key": listings.listing_key(language),
        "listing_seconds": listings.LISTING_SECONDS,
        **_support_context(request, area=slug),
    }
    return render(request, "chatbot/support_area.html", context)


def _article_language(request: HtmxHttpRequest) -> tuple[str, str]:
    """The language asked for in the address ("" for none) and the one to read in: the
    assistant links a quote in another language than the pages' to that version."""
    asked = request.GET.get("language", "")
    asked = asked if asked in LANGUAGES else ""
    return asked, asked or selectors.reader_language()


def _article_url(article: Article, asked: str) -> str:
    url = article.get_absolute_url()
    return f"{url}?{urlencode({'language': asked})}" if asked else url


def _visitor_key(request: HtmxHttpRequest) -> str:
    """The anonymous reader's key from their signed cookie ("" for none or a forged one)."""
    key = request.get_signed_cookie(
        VISITOR_COOKIE, default="", salt=VISITOR_COOKIE_SALT, max_age=VISITOR_COOKIE_AGE
    )
    return key if key and VISITOR_KEY.fullmatch(key) else ""


def _reader(request: HtmxHttpRequest) -> tuple[User | None, str]:
    """Who votes: the signed-in user, or the anonymous visitor's key digest ("" if none)."""
    if is_signed_in(request):
        return request.user, ""
    key = _visitor_key(request)
    return None, selectors.visitor_hash(key) if key else ""


def _vote_context(
    article: Article,
    vote: ArticleVote | None,
    *,
    asked: str,
    language: str,
    form: ArticleVoteForm | None = None,
    confirmation: str = "",
    errors_in_place: bool = False,
) -> dict[str, Any]:
    vote_url = reverse("support:article_vote", kwargs={"slug": article.slug})
    missing = vote.missing if vote is not None else ""
    return {
        "article_vote": vote,
        "vote_url": f"{vote_url}?{urlencode({'language': asked})}" if asked else vote_url,
        "vote_language": language,
        "vote_form": form or ArticleVoteForm(initial={"missing": missing}),
        "vote_confirmation": confirmation,
        "vote_missing_shown": (vote is not None and vote.answer == Feedback.NO)
        or bool(form is not None and form.errors.get("missing")),
        # An htmx answer carries its own error summary; the whole page has one at its top.
        "vote_errors_in_place": errors_in_place,
    }


def _vote_confirmation(vote: ArticleVote) -> str:
    if vote.answer == Feedback.YES:
        return _("Thank you for your feedback. We are glad this article helped.")
    if vote.missing:
        return _("Thank you. What you told us helps us improve our help articles.")
    return _("Thank you for telling us. If you can, say what was missing.")


def _article_page(
    request: HtmxHttpRequest,
    slug: str,
    *,
    form: ArticleVoteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    asked, language = _article_language(request)
    page = selectors.article_for_reader(slug, language)
    user, visitor = _reader(request)
    vote = selectors.article_vote_of(page.article, user=user, visitor_hash=visitor)
    # The confirmation of a vote is shown at the question the reader answered, not at the top.
    shown = list(messages.get_messages(request))
    confirmation = " ".join(str(m) for m in shown if VOTE_MESSAGE_TAG in m.tags.split())
    context = {
        "page": page,
        "messages": [m for m in shown if VOTE_MESSAGE_TAG not in m.tags.split()],
        "form": form,
        **_vote_context(
            page.article,
            vote,
            asked=asked,
            language=page.version.language,
            form=form,
            confirmation=confirmation,
        ),
        **_support_context(request, area=page.section.slug),
    }
    return render(request, "chatbot/article.html", context, status=status)


@never_cache
@require_GET
def article(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    return _article_page(request, slug)


@never_cache
@require_POST
def article_vote(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Was this article helpful? Yes or No, and what was missing: the reader's one vote on
    the article, made or changed. htmx redraws the question in place; without it, the page
    comes back at the question with the confirmation."""
    article = selectors.article_readable(slug)
    asked, _reading = _article_language(request)
    form = ArticleVoteForm(request.POST)
    user, visitor = _reader(request)
    new_key = ""
    if user is None and not visitor:
        new_key = secrets.token_urlsafe(VISITOR_KEY_BYTES)
        visitor = selectors.visitor_hash(new_key)
    vote = None
    status = 200
    if form.is_valid():
        # Anonymous answers are bounded per address: a script cannot fill the figures.
        if user is None and not ratelimit.consume(request, action="article_vote"):
            form.add_error(
                None,
                _("You have sent many answers in a short time. Wait a minute, then try again."),
            )
            status = 429
        else:
            try:
                vote = services.article_vote_set(
                    article=article,
                    answer=form.cleaned_data["answer"],
                    language=form.cleaned_data["language"] or selectors.reader_language(),
                    user=user,
                    visitor_hash=visitor,
                    missing=form.cleaned_data["missing"] if "missing" in request.POST else None,
                )
            except ValidationError as error:
                form.add_error(None, error)
    if vote is None:
        if request.htmx:
            current = selectors.article_vote_of(article, user=user, visitor_hash=visitor)
            context = _vote_context(
                article,
                current,
                asked=asked,
                language=form.cleaned_data.get("language", ""),
                form=form,
                errors_in_place=True,
            )
            # htmx swaps only a successful answer: the error is drawn in place.
            return render(request, "chatbot/article.html#article-vote", context)
        return _article_page(request, slug, form=form, status=status if status != 200 else 400)
    confirmation = _vote_confirmation(vote)
    if request.htmx:
        context = _vote_context(
            article, vote, asked=asked, language=vote.language, confirmation=confirmation
        )
        response = render(request, "chatbot/article.html#article-vote", context)
    else:
        messages.success(request, confirmation, extra_tags=VOTE_MESSAGE_TAG)
        response = redirect(f"{_article_url(article, asked)}#helpful")
    if new_key:
        response.set_signed_cookie(
            VISITOR_COOKIE,
            new_key,
            salt=VISITOR_COOKIE_SALT,
            max_age=VISITOR_COOKIE_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    return response


@never_cache
@require_GET
def search(request: HtmxHttpRequest) -> HttpResponse:
    query = " ".join(request.GET.get("q", "").split())[: selectors.SEARCH_QUERY_MAX]
    results = selectors.articles_search(query, selectors.reader_language()) if query else []
    context = {**_support_context(request), "search_query": query, "results": results}
    return render(request, "chatbot/search.html", context)


# --- The assistant on the support site ---------------------------------------------------


def _knowledge_base_place(
    request: HtmxHttpRequest, back: str
) -> Callable[[Conversation | None], AssistantPlace]:
    """The support site's assistant URLs, keeping the way back and the page's area."""
    area = request.GET.get("area") or ""

    def place_for(conversation: Conversation | None) -> AssistantPlace:
        query = urlencode({"next": back, **({"area": area} if area else {})})
        if conversation is not None and conversation.product_area is not None:
            contact = reverse("hub:methods", kwargs={"slug": conversation.product_area.slug})
        else:
            contact = reverse("hub:areas")
        return AssistantPlace(
            ask_url=f"{reverse('support:assistant')}?{query}",
            feedback_url=f"{reverse('support:assistant_feedback')}?{query}",
            contact_url=with_conversation(contact, conversation),
            page_url=f"{reverse('support:assistant')}?{query}",
        )

    return place_for


def _knowledge_base_conversation(request: AuthenticatedHttpRequest) -> Conversation | None:
    user = request.user
    return selectors.conversation_owned(user, request.session.get(SESSION_CONVERSATION))


def _area_of(request: HtmxHttpRequest) -> ProductArea | None:
    slug = request.GET.get("area") or ""
    return ProductArea.objects.filter(slug=slug, is_active=True).first() if slug else None


def _guard_assistant(request: HtmxHttpRequest) -> None:
    if not _assistant_shown(request):
        raise Http404


@never_cache
@require_http_methods(["GET", "POST"])
def assistant(request: HtmxHttpRequest) -> HttpResponse:
    """The assistant as a page of its own: the panel's content without JavaScript."""
    _guard_assistant(request)
    back = _safe_next(request, request.GET.get("next"))
    if not is_signed_in(request):
        if request.method == "POST":
            return redirect_to_login(request.get_full_path())
        here = f"{reverse('support:assistant')}?{urlencode({'next': back})}"
        login_url = f"{reverse('account_login')}?{urlencode({'next': here})}"
        return render(
            request,
            "chatbot/assistant.html",
            {"back_url": back, "signed_out": True, "login_url": login_url},
        )
    conversation = _knowledge_base_conversation(request)
    place_for = _knowledge_base_place(request, back)
    page_context = {"back_url": back, "signed_out": False}
    if request.method == "POST":
        response, conversation = assistant_ask(
            request,
            conversation=conversation,
            start={
                "surface": Surface.KNOWLEDGE_BASE,
                "language": selectors.reader_language(),
                "product_area": _area_of(request),
            },
            place_for=place_for,
            template="chatbot/assistant.html",
            page_context=page_context,
        )
        if conversation is not None:
            request.session[SESSION_CONVERSATION] = conversation.public_id
        return response
    context = {
        **page_context,
        **assistant_context(conversation, place=place_for(conversation), form=None),
    }
    return render(request, "chatbot/assistant.html", context)


@never_cache
@require_GET
def assistant_panel(request: HtmxHttpRequest) -> HttpResponse:
    """The panel that opens in place on a support page (htmx); the plain page otherwise."""
    _guard_assistant(request)
    if not request.htmx:
        return redirect(f"{reverse('support:assistant')}?{request.GET.urlencode()}")
    back = _safe_next(request, request.GET.get("next"))
    if not is_signed_in(request):
        context: dict[str, Any] = {"signed_out": True, "back_url": back}
    else:
        conversation = _knowledge_base_conversation(request)
        place = _knowledge_base_place(request, back)(conversation)
        context = {
            "signed_out": False,
            "back_url": back,
            **assistant_context(conversation, place=place, form=None),
        }
    context["login_url"] = f"{reverse('account_login')}?{urlencode({'next': back})}"
    return render(request, "chatbot/_panel.html", context)


@never_cache
@require_POST
def assistant_feedback(request: HtmxHttpRequest) -> HttpResponse:
    _guard_assistant(request)
    if not is_signed_in(request):
        raise Http404
    back = _safe_next(request, request.GET.get("next"))
    return assistant_feedback_set(
        request, surface=Surface.KNOWLEDGE_BASE, place_for=_knowledge_base_place(request, back)
    )


@never_cache
@require_POST
def assistant_restart(request: HtmxHttpRequest) -> HttpResponse:
    """Start again with an empty conversation (the old one stays for the agents)."""
    _guard_assistant(request)
    request.session.pop(SESSION_CONVERSATION, None)
    back = _safe_next(request, request.GET.get("next"))
    return redirect(f"{reverse('support:assistant')}?{urlencode({'next': back})}")


# --- The brand administrator's figures ---------------------------------------------------------


@login_required
@never_cache
@require_GET
def assistant_figures(request: AuthenticatedHttpRequest) -> HttpResponse:
    """How the organisation's members used the assistant: the members page draws it in
    place (htmx), and links here for a page of its own. Brand administrators only."""
    membership = administered_membership(request.user)
    if membership is None:
        raise Http404
    organisation = membership.organisation
    context = {
        "organisation": organisation,
        "assistant": selectors.assistant_figures(organisation, now=timezone.now()),
        "section": "members",
    }
    if request.htmx:
        return render(request, "chatbot/assistant_figures.html#figures", context)
    return render(request, "chatbot/assistant_figures.html", context)
