from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from html import escape
from typing import Any

from django import forms
from django.forms.renderers import DjangoTemplates
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from hub.accounts.models import User
from tickets.idempotency import is_idempotency_key, new_idempotency_key
from tickets.models import Channel, Status
from tickets.selectors import HistoryArea, HistoryFilters, HistorySort


class VerifyForm(forms.Form):
    account_access = forms.TypedChoiceField(
        label=_("May support log into your account if they need to?"),
        help_text=_("You can change this later from the ticket page."),
        choices=[
            ("yes", _("Yes, support may log into my account")),
            ("no", _("No, support must not log into my account")),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether support may log into your account.")},
    )


# --- Ticket history (R-HISTORY) --------------------------------------------------------------

HISTORY_SEARCH_MAX = 200
COMMENT_MAX = 5000
MINE = "me"


class ChoicePairs(BaseChoiceIterator):
    """Choices that are plain (value, label) pairs already, used as they are. Django
    normalises a list of choices each time a form sets it, on the field and again on its
    widget, a few microseconds a choice: the history's requester filter has hundreds.

    ``people`` (id, name) follow the pairs as (the id as text, name), written only when the
    choices are read: a brand administrator's list draws its filters once and keeps them
    (``history_filters_key``), and checks a chosen requester only when one is chosen."""

    def __init__(
        self, pairs: Sequence[tuple[Any, Any]], people: Sequence[tuple[int, str]] = ()
    ) -> None:
        self.pairs = pairs
        self.people = people

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        yield from self.pairs
        for pk, name in self.people:
            yield str(pk), name


class PlainSelect(forms.Select):
    """A select drawn in Python, not one template per option: the history's requester filter
    lists every member of the organisation, and the stock widget cost ~0.1 ms an option.
    Each option is escaped once with ``html.escape`` (what ``format_html`` does, without its
    per-call overhead)."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        chosen = "" if value is None else str(value)
        options = "".join(
            f'<option value="{escape(str(option))}"'
            f"{' selected' if str(option) == chosen else ''}>{escape(str(label))}</option>"
            for option, label in self.choices
        )
        return mark_safe(
            f'<select name="{escape(name)}"{flatatt(self.build_attrs(self.attrs, attrs))}>'
            f"{options}</select>"
        )


def _attributes(attrs: Mapping[str, Any]) -> str:
    """Attributes as django/forms/widgets/attrs.html writes them, in their order."""
    return "".join(
        f" {escape(str(name))}" if value is True else f' {escape(str(name))}="{escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


class PlainInputMixin:
    """An <input> drawn in Python as django/forms/widgets/input.html draws it (the same
    HTML): the history's filters are drawn on every page of the list."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]  # type: ignore[attr-defined]
        shown = widget["value"]
        value_attribute = "" if shown is None else f' value="{escape(str(shown))}"'
        return mark_safe(
            f'<input type="{escape(str(widget["type"]))}" name="{escape(name)}"'
            f"{value_attribute}{_attributes(widget['attrs'])}>"
        )


class TemplateFreeSelect(forms.Select):
    """A select that writes exactly what django/forms/widgets/select.html and
    select_option.html write, in Python: the admin's "assigned to" lists every agent, and
    the stock widget renders two templates per option. Choices in groups are left to the
    templates."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        groups = widget["optgroups"]
        if any(group_name for group_name, _options, _index in groups):
            return super().render(name, value, attrs, renderer)
        options = "".join(
            f'\n  <option value="{escape(str(option["value"]))}"'
            f"{_attributes(option['attrs'])}>{conditional_escape(option['label'])}</option>\n"
            for _group_name, group_options, _index in groups
            for option in group_options
        )
        return mark_safe(
            f'<select name="{escape(name)}"{_attributes(widget["attrs"])}>{options}\n</select>'
        )


class PlainTextInput(PlainInputMixin, forms.TextInput):
    pass


class PlainDateInput(PlainInputMixin, forms.DateInput):
    pass


class PlainHiddenInput(PlainInputMixin, forms.HiddenInput):
    pass


class PlainTextarea(forms.Textarea):
    """A <textarea> drawn in Python as django/forms/widgets/textarea.html draws it."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        text = escape(str(widget["value"])) if widget["value"] else ""
        return mark_safe(
            f'<textarea name="{escape(name)}"{_attributes(widget["attrs"])}>\n{text}</textarea>'
        )


class PlainLabelRenderer(DjangoTemplates):
    """Django's form renderer, writing each field's <label> in Python as
    django/forms/label.html writes it (the same HTML): through the template, the admin's
    ticket page spent more on its three editable fields' labels than on their widgets."""

    LABEL_TEMPLATE = "django/forms/label.html"

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name != self.LABEL_TEMPLATE:
            return str(super().render(template_name, context, request))
        label = conditional_escape(context["label"])
        if not context["use_tag"]:
            return label
        tag = escape(str(context["tag"]))
        return f"<{tag}{_attributes(context['attrs'])}>{label}</{tag}>"


class HistoryFilterForm(forms.Form):
    """The history list's filters. They live in the URL, so a view can be bookmarked."""

    q = forms.CharField(
        label=_("Search"),
        help_text=_("A request number, or words from its subject or messages."),
        required=False,
        max_length=HISTORY_SEARCH_MAX,
        widget=PlainTextInput(attrs={"type": "search", "autocomplete": "off"}),
        error_messages={
            "max_length": _("Search for %(limit_value)d characters or fewer"),
        },
    )
    status = forms.ChoiceField(label=_("Status"), required=False, widget=PlainSelect)
    area = forms.ChoiceField(label=_("Product area"), required=False, widget=PlainSelect)
    channel = forms.ChoiceField(label=_("Contact method"), required=False, widget=PlainSelect)
    requester = forms.ChoiceField(label=_("Requested by"), required=False, widget=PlainSelect)
    created_from = forms.DateField(
        label=_("Made on or after"),
        required=False,
        widget=PlainDateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter the first date as a real date, like 2026-11-30")},
    )
    created_to = forms.DateField(
        label=_("Made on or before"),
        required=False,
        widget=PlainDateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter the last date as a real date, like 2026-11-30")},
    )
    sort = forms.ChoiceField(
        label=_("Sort by"), required=False, choices=HistorySort.choices, widget=PlainSelect
    )

    def __init__(
        self,
        data: Mapping[str, Any] | None,
        *,
        areas: Sequence[HistoryArea],
        requesters: Sequence[tuple[int, str]] | None,
        own_user: User,
    ) -> None:
        super().__init__(data)
        self._areas = {area.slug: area for area in areas}
        self._own_user = own_user
        # Each area's name in the current language, as the selector read it.
        self.area_names = {area.pk: area.name for area in areas}
        self._set_choices("status", _("Any status"), [("open", _("Open")), *Status.choices])
        self._set_choices(
            "area", _("Any product area"), [(area.slug, self.area_names[area.pk]) for area in areas]
        )
        self._set_choices("channel", _("Any contact method"), Channel.choices)
        if requesters is None:
            del self.fields["requester"]
        else:
            self._set_choices(
                "requester",
                _("Anyone in your organisation"),
                [(MINE, _("Only me"))],
                people=requesters,
            )

    def _set_choices(
        self,
        name: str,
        anything: Any,
        choices: Sequence[tuple[Any, Any]],
        *,
        people: Sequence[tuple[int, str]] = (),
    ) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = ChoicePairs([("", anything), *choices], people)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, last = cleaned.get("created_from"), cleaned.get("created_to")
        if first and last and last < first:
            self.add_error(
                "created_to", _("The last date must be the same as or after the first date")
            )
        return cleaned

    @property
    def is_narrowed(self) -> bool:
        """Whether any filter or search is in force (the sort order alone does not count)."""
        if not self.is_bound:
            return False
        return any(self.data.get(name) for name in self.fields if name != "sort")

    def filters(self) -> HistoryFilters:
        """The filters from the valid fields; an invalid field is shown and left out."""
        if not self.is_bound:
            return HistoryFilters()
        self.is_valid()
        cleaned = self.cleaned_data
        area = self._areas.get(cleaned.get("area") or "")
        requester = cleaned.get("requester") or ""
        requester_id: int | None = None
        if requester == MINE:
            requester_id = self._own_user.pk
        elif requester:
            # One of the choices: the field has checked it.
            requester_id = int(requester)
        zone = timezone.get_current_timezone()
        first: date | None = cleaned.get("created_from")
        last: date | None = cleaned.get("created_to")
        return HistoryFilters(
            status=cleaned.get("status") or "",
            area_id=area.pk if area else None,
            channel=cleaned.get("channel") or "",
            requester_id=requester_id,
            created_from=_start_of_day(first, zone) if first else None,
            created_before=_start_of_day(last + timedelta(days=1), zone) if last else None,
            text=cleaned.get("q") or "",
            sort=HistorySort(cleaned.get("sort") or HistorySort.NEWEST),
        )


def _start_of_day(day: date, zone: tzinfo) -> datetime:
    """Midnight of that day in the user's zone (zoneinfo handles days that are 23 or 25 h)."""
    return datetime.combine(day, time.min).replace(tzinfo=zone)


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Add a comment"),
        help_text=_("Support sees it on your request, as if you had replied to our email."),
        max_length=COMMENT_MAX,
        widget=PlainTextarea(attrs={"rows": 4}),
        error_messages={
            "required": _("Write your comment"),
            "max_length": _("Write your comment in %(limit_value)d characters or fewer"),
        },
    )
    # One key per drawing of the form: a double click or a retried POST adds one comment.
    idempotency_key = forms.CharField(required=False, widget=PlainHiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", new_idempotency_key())

    def clean_idempotency_key(self) -> str:
        key = str(self.cleaned_data.get("idempotency_key") or "")
        return key if is_idempotency_key(key) else new_idempotency_key()


class AccountAccessForm(forms.Form):
    allowed = forms.TypedChoiceField(
        choices=[("yes", _("Allow")), ("no", _("Withdraw"))],
        coerce=lambda value: value == "yes",
    )
