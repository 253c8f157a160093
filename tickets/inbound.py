"""Email in (R-CONFIRM): a customer's reply to ticket mail joins the ticket's timeline.

The ticket is found from the signed token in the reply address the reply was sent to, or,
failing that, in the `In-Reply-To`/`References` the customer's mail client copied from our
Message-IDs (`tickets.reply_tokens`). The signature proves the mail answers our mail; the
sender must also be the ticket's requester (or its contact address). Whatever cannot be
attached is kept aside as an `InboundEmail` row with its reason, for an agent: never lost.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses
from html.parser import HTMLParser

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hub.accounts.models import User
from tickets import reply_tokens
from tickets.models import (
    InboundEmail,
    InboundReason,
    InboundStatus,
    Status,
    Ticket,
    TicketEvent,
)
from tickets.services import ticket_comment

logger = logging.getLogger(__name__)

# Anything shaped like a reply token, signed correctly or not: tells a forgery from no token.
_TOKEN_SHAPE = re.compile(r"cs-\d{6,}\.[0-9a-z]{20}", re.IGNORECASE)
_MESSAGE_ID_MAX = InboundEmail._meta.get_field("message_id").max_length or 998
_SUBJECT_MAX = InboundEmail._meta.get_field("subject").max_length or 255
_SENDER_MAX = InboundEmail._meta.get_field("sender").max_length or 320


# --- Reading the message -------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedReply:
    message_id: str | None
    sender: str
    recipients: list[str]
    subject: str
    body: str
    automatic: bool
    in_reply_to: str
    references: str


def parse_message(raw: bytes, *, envelope_recipients: Sequence[str] = ()) -> ParsedReply:
    """Read what matters of a raw RFC 5322 message. Raises ValueError when it is not one."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    if not message.keys():
        raise ValueError("no header at all")
    assert isinstance(message, EmailMessage)  # policy.default makes EmailMessage
    recipients = _unique(
        [_bare(address) for address in envelope_recipients]
        + _addresses(message, "Delivered-To", "X-Original-To", "To", "Cc")
    )
    senders = _addresses(message, "From")
    return ParsedReply(
        message_id=_message_id(message),
        sender=(senders[0] if senders else "")[:_SENDER_MAX],
        recipients=recipients,
        subject=" ".join(str(message.get("Subject", "")).split())[:_SUBJECT_MAX],
        body=reply_text(_new_text(message)),
        automatic=_is_automatic(message),
        in_reply_to=" ".join(str(value) for value in message.get_all("In-Reply-To", [])),
        references=" ".join(str(value) for value in message.get_all("References", [])),
    )


def _bare(address: str) -> str:
    return address.strip().strip("<>").strip()


def _unique(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    unique = []
    for item in items:
        if item and item.lower() not in seen:
            seen.add(item.lower())
            unique.append(item)
    return unique


def _addresses(message: Message, *headers: str) -> list[str]:
    values = [str(value) for header in headers for value in message.get_all(header, [])]
    return [address for _name, address in getaddresses(values) if "@" in address]


def _message_id(message: Message) -> str | None:
    value = "".join(str(message.get("Message-ID", "")).split())
    if not value:
        return None
    if len(value) > _MESSAGE_ID_MAX:
        # Absurdly long, but still the same on every delivery: keep it unique by its digest.
        return "<sha256." + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest() + ">"
    return value


def _is_automatic(message: Message) -> bool:
    """Out-of-office answers and bounces (RFC 3834, RFC 3464): never a customer's reply."""
    auto_submitted = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if message.get("X-Autoreply") or message.get("X-Autorespond"):
        return True
    if str(message.get("Precedence", "")).strip().lower() in {"bulk", "junk", "auto_reply"}:
        return True
    return message.get_content_type() == "multipart/report"


def _part_text(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, ValueError, AssertionError):
        # Unknown or lying charset: keep what can be read rather than lose the reply.
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _new_text(message: EmailMessage) -> str:
    """The plain text part, or the HTML one turned into text when plain is missing or empty."""
    plain = message.get_body(preferencelist=("plain",))
    if plain is not None:
        text = _part_text(plain)
        if text.strip():
            return text
    html = message.get_body(preferencelist=("html",))
    if html is not None:
        return html_to_text(_part_text(html))
    return ""


# --- HTML to text --------------------------------------------------------------------------


class _HtmlText(HTMLParser):
    """Visible text of an HTML mail, quoted blocks marked with `> ` like plain-text quoting."""

    _HIDDEN = frozenset({"script", "style", "head", "title", "template", "noscript"})
    _PARAGRAPH = frozenset(
        {"p", "blockquote", "pre", "table", "ul", "ol", "dl", "h1", "h2", "h3", "h4", "h5", "h6"}
    )
    _LINE = frozenset(
        {
            "div", "li", "tr", "dt", "dd", "hr", "section", "article", "header", "footer",
            "address", "figure", "figcaption", "main", "nav", "aside", "form",
        }
    )  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._current: list[str] = []
        self._hidden = 0
        self._quote = 0
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag == "br":
            self._break()
        elif tag in self._PARAGRAPH or tag in self._LINE:
            self._break(paragraph=tag in self._PARAGRAPH)
            self._quote += tag == "blockquote"
            self._pre += tag == "pre"
        elif tag in {"td", "th"}:
            self._current.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._PARAGRAPH or tag in self._LINE:
            self._break(paragraph=tag in self._PARAGRAPH)
            if tag == "blockquote":
                self._quote = max(0, self._quote - 1)
            if tag == "pre":
                self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if self._pre:
            first, *rest = data.split("\n")
            self._current.append(first)
            for line in rest:
                self._break()
                self._current.append(line)
        else:
            self._current.append(re.sub(r"\s+", " ", data))

    def _break(self, *, paragraph: bool = False) -> None:
        text = "".join(self._current)
        text = text.rstrip() if self._pre else text.strip()
        self._current = []
        prefix = "> " * self._quote
        if text:
            self.lines.append(prefix + text)
        if paragraph and self.lines and self.lines[-1].strip("> "):
            self.lines.append(prefix.rstrip())

    def text(self) -> str:
        self._break()
        return "\n".join(self.lines)


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return parser.text()


# --- Keeping only the new text -------------------------------------------------------------

# "On Mon, 3 Feb 2025 at 10:00, Support <…> wrote:" and its Italian and French forms, as
# Gmail, Apple Mail, Thunderbird and Outlook write them (Gmail puts a narrow no-break space
# before the French colon; `\s` matches it).
_ATTRIBUTION = re.compile(
    r"^\s*(?:On\s.+\swrote|Il\s.+\sha\sscritto|Le\s.+\sa\s[ée]crit)\s*:\s*$",
    re.IGNORECASE | re.DOTALL,
)
# "Support <…> wrote:" alone is only an attribution when quoted lines follow it.
_BARE_ATTRIBUTION = re.compile(r"^.{1,200}\s(?:wrote|ha\sscritto|a\s[ée]crit)\s*:\s*$", re.I)
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(?:original message|messaggio originale|message d['’]origine)\s*-{2,}\s*$",
    re.IGNORECASE,
)
# Outlook's header block: "From: …" then "Sent: …" (Italian "Da:"/"Inviato:", French "De :"/
# "Envoyé :").
_OUTLOOK_FROM = re.compile(r"^\s*(?:\*?(?:From|Da|De)\*?)\s*:", re.IGNORECASE)
_OUTLOOK_SENT = re.compile(r"^\s*\*?(?:Sent|Date|Inviato|Data|Envoyé)\*?\s*:", re.IGNORECASE)
_RULE = re.compile(r"^[\s_\-=]*$")


def _is_quote(line: str) -> bool:
    return line.startswith(">")


def _next_nonblank(lines: list[str], start: int) -> str:
    for line in lines[start:]:
        if line.strip():
            return line
    return ""


def _is_separator(lines: list[str], index: int) -> bool:
    line = lines[index]
    if not line.strip() or _is_quote(line):
        return False
    # Long attributions are wrapped by some clients: try the line with the next one or two.
    for width in (1, 2, 3):
        joined = " ".join(part.strip() for part in lines[index : index + width])
        if len(joined) <= 400 and _ATTRIBUTION.match(joined):
            return True
    if _BARE_ATTRIBUTION.match(line) and _is_quote(_next_nonblank(lines, index + 1)):
        return True
    if _ORIGINAL_MESSAGE.match(line):
        return True
    return bool(_OUTLOOK_FROM.match(line) and _OUTLOOK_SENT.match(_next_nonblank(lines, index + 1)))


def reply_text(text: str) -> str:
    """The customer's new words: no quoted lines, no quoted history below an attribution
    line, no signature. Replies written below the quote (or between its lines) keep their text.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if line in ("-- ", "--"):
            break
        if _is_separator(lines, index):
            if any(kept_line.strip() for kept_line in kept):
                break
            # Nothing written above the quote: the answer is below it, or in between.
            continue
        if _is_quote(line):
            continue
        kept.append(line.rstrip())
    while kept and _RULE.match(kept[-1]):
        kept.pop()
    while kept and not kept[0].strip():
        kept.pop(0)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


# --- Finding the ticket --------------------------------------------------------------------


@dataclass(frozen=True)
class TicketMatch:
    ticket: Ticket | None
    forged: bool


def _reply_domain_local_parts(recipients: Iterable[str]) -> list[str]:
    domain = settings.SUPPORT_REPLY_DOMAIN.lower().rstrip(".")
    parts = []
    for address in recipients:
        local, _at, host = address.rpartition("@")
        if local and host.lower().rstrip(".") == domain:
            parts.append(local)
    return parts


def _message_ids(message_ids: str) -> list[str]:
    return re.findall(r"<[^<>]*>", message_ids) or message_ids.split()


def ticket_match(*, recipients: Sequence[str], in_reply_to: str, references: str) -> TicketMatch:
    """The ticket a reply belongs to: reply address first, then the thread headers.

    `forged` says that something shaped like a token was there but none was signed by us.
    """
    forged = False
    # The direct parent first, then the thread from the most recent message back.
    candidates = [
        *(("address", local) for local in _reply_domain_local_parts(recipients)),
        *(("header", value) for value in _message_ids(in_reply_to)),
        *(("header", value) for value in reversed(_message_ids(references))),
    ]
    for kind, value in candidates:
        numbers = reply_tokens.numbers_in(value)
        if numbers:
            ticket = Ticket.objects.select_related("requester").filter(number=numbers[0]).first()
            if ticket is not None:
                return TicketMatch(ticket=ticket, forged=False)
        elif _TOKEN_SHAPE.search(value) or (
            kind == "address" and value.lower().startswith("reply+")
        ):
            forged = True
    return TicketMatch(ticket=None, forged=forged)


def sender_may_reply(ticket: Ticket, sender: str) -> bool:
    allowed = {ticket.requester.email.strip().lower(), ticket.contact_email.strip().lower()}
    return bool(sender) and sender.strip().lower() in allowed - {""}


# --- Services ------------------------------------------------------------------------------


def _decode_raw(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        # 8-bit mail in another charset: latin-1 maps every byte, so nothing is lost.
        text = raw.decode("latin-1")
    # PostgreSQL text cannot hold NUL, which no valid message contains anyway.
    return text.replace("\x00", "\ufffd")


def inbound_email_receive(raw: bytes, *, recipients: Sequence[str] = ()) -> InboundEmail:
    """Store a message that reached the reply domain and attach it to its ticket if it may be.

    `recipients` are the SMTP envelope's (RCPT TO): where it was really delivered. Delivered
    twice (same Message-ID), it is stored and attached once; the first row is returned.
    Database errors propagate, so that the SMTP server answers 451 and the sender retries.
    """
    try:
        parsed = parse_message(raw, envelope_recipients=recipients)
    except Exception:  # noqa: BLE001 - any parser failure: keep the bytes for an agent
        logger.warning("inbound mail could not be parsed", exc_info=True)
        parsed = None

    if parsed is None:
        return _store(
            raw,
            message_id=None,
            sender="",
            recipients=[_bare(address) for address in recipients],
            subject="",
            body="",
            ticket=None,
            reason=InboundReason.UNPARSEABLE,
        )

    if parsed.message_id:
        existing = InboundEmail.objects.filter(message_id=parsed.message_id).first()
        if existing is not None:
            logger.info(
                "inbound mail %s delivered again: already stored as %s (%s)",
                parsed.message_id,
                existing.pk,
                existing.status,
            )
            return existing

    match = ticket_match(
        recipients=parsed.recipients,
        in_reply_to=parsed.in_reply_to,
        references=parsed.references,
    )
    ticket = match.ticket
    reason: InboundReason | None = None
    if ticket is None:
        reason = InboundReason.FORGED_TOKEN if match.forged else InboundReason.NO_TOKEN
    elif not sender_may_reply(ticket, parsed.sender):
        reason = InboundReason.UNKNOWN_SENDER
    elif parsed.automatic:
        reason = InboundReason.AUTO_REPLY
    elif ticket.status == Status.CLOSED:
        reason = InboundReason.TICKET_CLOSED
    elif not parsed.body:
        reason = InboundReason.EMPTY
    return _store(
        raw,
        message_id=parsed.message_id,
        sender=parsed.sender,
        recipients=parsed.recipients,
        subject=parsed.subject,
        body=parsed.body,
        ticket=ticket,
        reason=reason,
    )


def _store(
    raw: bytes,
    *,
    message_id: str | None,
    sender: str,
    recipients: list[str],
    subject: str,
    body: str,
    ticket: Ticket | None,
    reason: InboundReason | None,
) -> InboundEmail:
    """Keep the message (attaching it when no reason says otherwise), once per Message-ID."""
    with transaction.atomic():
        try:
            # The unique Message-ID settles two deliveries of one message racing each other:
            # the second waits for the first to commit, then fails here and returns its row.
            with transaction.atomic():
                inbound = InboundEmail.objects.create(
                    message_id=message_id,
                    sender=sender,
                    recipients=", ".join(recipients),
                    subject=subject,
                    body=body,
                    raw=_decode_raw(raw),
                    ticket=ticket,
                    status=InboundStatus.KEPT_ASIDE if reason else InboundStatus.ATTACHED,
                    reason=reason or "",
                )
        except IntegrityError:
            first = InboundEmail.objects.filter(message_id=message_id).first()
            if message_id is None or first is None:
                raise
            logger.info("inbound mail %s delivered twice at once: kept once", message_id)
            return first
        if reason is None and ticket is not None:
            try:
                with transaction.atomic():
                    _attach(inbound, ticket=ticket, author=ticket.requester, by=None)
            except ValidationError:
                # Closed between our look and ticket_comment's lock on the ticket.
                inbound.status = InboundStatus.KEPT_ASIDE
                inbound.reason = InboundReason.TICKET_CLOSED
                inbound.save(update_fields=["status", "reason"])
    logger.info(
        "inbound mail %s from %s to %s: %s%s%s",
        message_id or "(no Message-ID)",
        sender or "(no sender)",
        ", ".join(recipients) or "(no recipient)",
        inbound.status,
        f" ({inbound.reason})" if inbound.is_kept_aside else "",
        f" on {ticket.number}" if ticket is not None else "",
    )
    return inbound


def _attach(inbound: InboundEmail, *, ticket: Ticket, author: User, by: User | None) -> TicketEvent:
    """Add the mail's text to the ticket's timeline; the caller holds the transaction."""
    event = ticket_comment(ticket=ticket, author=author, body=inbound.body, source="email")
    # Where the entry came from, for the timeline and for anyone tracing a message.
    event.data = {
        **event.data,
        "inbound_email": inbound.pk,
        "message_id": inbound.message_id,
        "from": inbound.sender,
        **({"attached_by": by.pk} if by is not None else {}),
    }
    event.save(update_fields=["data"])
    # An agent's attachment keeps the reason it was kept aside for, as history.
    inbound.ticket = ticket
    inbound.event = event
    inbound.status = InboundStatus.ATTACHED
    update = ["ticket", "event", "status"]
    if by is not None:
        inbound.attached_by = by
        inbound.attached_at = timezone.now()
        update += ["attached_by", "attached_at"]
    inbound.save(update_fields=update)
    return event


def inbound_email_attach(*, inbound: InboundEmail, ticket: Ticket, by: User) -> InboundEmail:
    """An agent attaches a kept-aside message to a ticket (the text counts as the requester's).

    Raises ValidationError when the message was attached already, has no text, or the ticket
    is closed.
    """
    with transaction.atomic():
        locked = InboundEmail.objects.select_for_update().get(pk=inbound.pk)
        if not locked.is_kept_aside:
            raise ValidationError(_("This message is already on a ticket’s timeline."))
        if not locked.body.strip():
            raise ValidationError(_("This message has no text to add to a ticket."))
        fresh = Ticket.objects.select_related("requester").get(pk=ticket.pk)
        if fresh.status == Status.CLOSED:
            raise ValidationError(
                _("%(number)s is closed: its timeline takes no more messages.")
                % {"number": fresh.number}
            )
        _attach(locked, ticket=fresh, author=fresh.requester, by=by)
    logger.info("inbound mail %s attached to %s by %s", locked.pk, fresh.number, by.get_username())
    return locked
