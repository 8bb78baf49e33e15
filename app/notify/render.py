"""A notification as the recipient reads it: an e-mail in their language (plain text and HTML,
``multipart/alternative``) or a webhook's JSON, from the desk's gettext catalogues
(:mod:`app.web.i18n`).

Texts are written once, as lines; the HTML part is the same lines, escaped. A new ``kind``
needs one function here (see :data:`RENDERERS`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from babel.support import Translations
from markupsafe import escape

from app import clock
from app.models.notification import Notification
from app.notify import events
from app.web.i18n import LANGUAGES, language_name, municipality_name, translations


@dataclass(frozen=True, slots=True)
class Text:
    """A message's subject, greeting, and (label, value) facts."""

    subject: str
    intro: str
    facts: list[tuple[str, str]]
    outro: str = ""


@dataclass(frozen=True, slots=True)
class Context:
    """What a renderer may use besides the payload."""

    lang: str
    catalogue: Translations
    coordinator_contact: str | None

    def gettext(self, message: str, **values: Any) -> str:
        text = self.catalogue.gettext(message)
        return text % values if values else text


def _languages(codes: list[str], lang: str) -> str:
    return ", ".join(language_name(code, lang) for code in codes)


def _coordinator(p: dict[str, Any], c: Context) -> str:
    return (
        p.get("coordinator_email") or c.coordinator_contact or c.gettext("the municipality's desk")
    )


def _match_accepted(p: dict[str, Any], c: Context) -> Text:
    return Text(
        subject=c.gettext("New match for %(mentor)s", mentor=p["mentor_first_name"]),
        intro=c.gettext(
            "Your volunteer %(mentor)s has been matched with a newcomer. "
            "Please call your volunteer so the two can meet.",
            mentor=p["mentor_first_name"],
        ),
        facts=[
            (c.gettext("Newcomer's first name"), p["newcomer_first_name"]),
            (c.gettext("Languages"), _languages(p["languages"], c.lang)),
            (c.gettext("Municipality"), municipality_name(p["municipality"])),
            (c.gettext("Programme"), p["programme_name"]),
            (c.gettext("Coordinator to contact"), _coordinator(p, c)),
            (c.gettext("Match number"), str(p["match_id"])),
        ],
    )


def _match_ended(p: dict[str, Any], c: Context) -> Text:
    return Text(
        subject=c.gettext("Match ended for %(mentor)s", mentor=p["mentor_first_name"]),
        intro=c.gettext(
            "The match of your volunteer %(mentor)s with %(newcomer)s has ended; "
            "your volunteer has a place free again.",
            mentor=p["mentor_first_name"],
            newcomer=p["newcomer_first_name"],
        ),
        facts=[
            (c.gettext("Municipality"), municipality_name(p["municipality"])),
            (c.gettext("Programme"), p["programme_name"]),
            (c.gettext("Coordinator to contact"), _coordinator(p, c)),
            (c.gettext("Match number"), str(p["match_id"])),
        ],
    )


def _proposals_waiting(p: dict[str, Any], c: Context) -> Text:
    return Text(
        subject=c.gettext("%(total)s proposals are waiting for a decision", total=p["total"]),
        intro=c.gettext(
            "These proposals have waited more than %(days)s days for your decision:",
            days=p["days"],
        ),
        facts=[(municipality_name(code), str(n)) for code, n in p["municipalities"].items()],
        outro=c.gettext("Accept or reject them on the desk's proposals page."),
    )


def _day(iso: str, lang: str) -> str:
    """A date as the recipient writes it: ``17-05-2026`` (Danish), ``2026-05-17`` (English)."""
    return iso if lang == "en" else "-".join(reversed(iso.split("-")))


def _follow_ups_due(p: dict[str, Any], c: Context) -> Text:
    facts = [(municipality_name(code), str(n)) for code, n in p["municipalities"].items()]
    facts += [
        (
            c.gettext("Match %(match)s", match=item["match_id"]),
            c.gettext(
                "%(programme)s, %(days)s days after acceptance, due %(day)s",
                programme=item["programme"],
                days=item["days_after"],
                day=_day(item["due_on"], c.lang),
            ),
        )
        for item in p["follow_ups"]
    ]
    return Text(
        subject=c.gettext("Follow-ups due: %(total)s", total=p["total"]),
        intro=c.gettext("These matches have reached a follow-up point without a check-in since:"),
        facts=facts,
        outro=c.gettext(
            "Ask how the pair is doing and record a check-in on the desk's follow-ups page."
        ),
    )


def _signup_confirmation(p: dict[str, Any], c: Context) -> Text:
    return Text(
        subject=c.gettext(
            "Confirm your sign-up with %(association)s", association=p["association_name"]
        ),
        intro=c.gettext(
            "Dear %(name)s, thank you for signing up as a volunteer with %(association)s. "
            "Open the link below to confirm your e-mail address; the association sees your "
            "sign-up once you have confirmed it.",
            name=p["first_name"],
            association=p["association_name"],
        ),
        facts=[(c.gettext("Confirmation link"), p["link"])],
        outro=c.gettext(
            "The link works for %(hours)s hours. If you did not sign up, ignore this e-mail: "
            "the association never sees the sign-up.",
            hours=p["hours"],
        ),
    )


RENDERERS: dict[str, Callable[[dict[str, Any], Context], Text]] = {
    events.MATCH_ACCEPTED: _match_accepted,
    events.MATCH_ENDED: _match_ended,
    events.PROPOSALS_WAITING: _proposals_waiting,
    events.FOLLOW_UPS_DUE: _follow_ups_due,
    events.SIGNUP_CONFIRMATION: _signup_confirmation,
}


def text_of(notification: Notification, coordinator_contact: str | None = None) -> Text:
    """The notification's texts in its recipient's language."""
    lang = notification.language if notification.language in LANGUAGES else "da"
    context = Context(lang, translations(lang), coordinator_contact)
    return RENDERERS[notification.kind](notification.payload, context)


def message_id(notification_id: int, domain: str) -> str:
    """The notification's Message-ID: the same on every attempt, so a re-send after a crash is
    recognisably the same message."""
    return f"<notification-{notification_id}@{domain}>"


def email_of(
    notification: Notification, *, sender: str, domain: str, coordinator_contact: str | None
) -> EmailMessage:
    """The notification as an e-mail: plain text, with an HTML alternative."""
    text = text_of(notification, coordinator_contact)
    plain = [text.intro, ""]
    plain += [f"{label}: {value}" for label, value in text.facts]
    if text.outro:
        plain += ["", text.outro]
    rows = "".join(
        f'<tr><th scope="row" align="left">{escape(label)}</th><td>{escape(value)}</td></tr>'
        for label, value in text.facts
    )
    html = (
        f'<!DOCTYPE html><html lang="{notification.language}"><body>'
        f"<p>{escape(text.intro)}</p><table>{rows}</table>"
        + (f"<p>{escape(text.outro)}</p>" if text.outro else "")
        + "</body></html>"
    )
    message = EmailMessage()
    message["Subject"] = text.subject
    message["From"] = sender
    message["To"] = notification.recipient
    message["Message-ID"] = message_id(notification.id, domain)
    message["Date"] = format_datetime(notification.created_at or clock.utcnow())
    message["Auto-Submitted"] = "auto-generated"
    message.set_content("\n".join(plain) + "\n")
    message.add_alternative(html, subtype="html")
    # After the parts: setting the content drops every Content-* header set before.
    message["Content-Language"] = notification.language
    return message


def webhook_body(notification: Notification, coordinator_contact: str | None) -> dict[str, Any]:
    """The notification as the webhook's JSON: the event's data, and its texts."""
    text = text_of(notification, coordinator_contact)
    data = dict(notification.payload)
    if "coordinator_email" in data and not data["coordinator_email"]:
        data["coordinator_email"] = coordinator_contact
    return {
        "id": notification.id,
        "kind": notification.kind,
        "created_at": notification.created_at.isoformat(),
        "language": notification.language,
        "data": data,
        "subject": text.subject,
    }
