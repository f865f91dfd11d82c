"""Reminder messages: one per owner, listing their overdue, due-soon and stale actions, as
an RFC 5322 message with a plain text part and an HTML part, and their sending by SMTP.

Plan text is data: an owner's name or an action's description goes only into the body
(escaped in the HTML part), never into a header, so a name holding a line break and
`Bcc:` cannot add a recipient. Headers carry only checked addresses, the plan keys
(letters, digits, `-`, `_`, `.`) and counts.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import ssl
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from html import escape

from tracker.domain.records import ActionRow
from tracker.domain.rules import RuleSettings
from tracker.domain.text import one_line, printable

__all__ = [
    "MailError",
    "OwnerReminder",
    "ReminderItem",
    "SmtpSender",
    "build_message",
    "eml_name",
    "owner_reminders",
    "parse_server",
    "subject_line",
]

OVERDUE, DUE_SOON, STALE = "overdue", "due_soon", "stale"
_GROUPS = (
    (OVERDUE, "Overdue"),
    (DUE_SOON, "Due soon"),
    (STALE, "Not updated"),
)


@dataclass(frozen=True, slots=True)
class ReminderItem:
    """One action in a reminder: why it is listed (its kind), its flag and its days."""

    action_id: int
    address: str
    plan_key: str
    description: str
    deadline: date
    status: str
    kind: str  # overdue, due_soon or stale
    days: int  # days overdue, days until the deadline, or days since the last update
    flag: str  # "OVERDUE 45d", "due soon (5d)" or "no update 40d", plus staleness if both


@dataclass(slots=True)
class OwnerReminder:
    """One owner's reminder: their address (None: none recorded) and the actions to list."""

    owner: str
    email: str | None
    items: list[ReminderItem] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for i in self.items if i.kind == kind)

    @property
    def plans(self) -> list[str]:
        return sorted({i.plan_key for i in self.items})


def _item(row: ActionRow, settings: RuleSettings) -> ReminderItem | None:
    today = settings.today
    stale = row.stale(settings)
    quiet = f"no update {row.days_since_update(today)}d"
    if row.overdue(today):
        late = row.days_overdue(today)
        kind, days, flag = OVERDUE, late, f"OVERDUE {late}d"
    elif row.due_soon(settings):
        left = (row.deadline - today).days
        kind, days = DUE_SOON, left
        flag = "due today" if left == 0 else f"due soon ({left}d)"
    elif stale:
        kind, days, flag = STALE, row.days_since_update(today), quiet
    else:
        return None
    if stale and kind != STALE:
        flag += f", {quiet}"
    return ReminderItem(
        action_id=row.id,
        address=row.address,
        plan_key=row.plan_key,
        description=row.description,
        deadline=row.deadline,
        status=row.status,
        kind=kind,
        days=days,
        flag=flag,
    )


def owner_reminders(
    rows: Iterable[ActionRow], settings: RuleSettings, emails: dict[str, str | None]
) -> list[OwnerReminder]:
    """One reminder per owner who has open actions that are overdue, due soon or stale.

    Within a reminder: overdue first (longest first), then due soon (soonest first), then
    stale (longest silence first); owners in byte order of their names.
    """
    by_owner: dict[str, OwnerReminder] = {}
    for row in rows:
        item = _item(row, settings)
        if item is None:
            continue
        reminder = by_owner.get(row.owner)
        if reminder is None:
            reminder = by_owner[row.owner] = OwnerReminder(row.owner, emails.get(row.owner))
        reminder.items.append(item)
    order = {OVERDUE: 0, DUE_SOON: 1, STALE: 2}
    for reminder in by_owner.values():
        reminder.items.sort(
            key=lambda i: (
                order[i.kind],
                i.days if i.kind == DUE_SOON else -i.days,
                i.address,
            )
        )
    return [by_owner[k] for k in sorted(by_owner, key=lambda s: s.encode("utf-8"))]


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def subject_line(reminder: OwnerReminder) -> str:
    """`Improvement plan actions: 2 overdue, 1 due soon, 3 not updated (plan-key)`."""
    counts = [
        f"{reminder.count(OVERDUE)} overdue",
        f"{reminder.count(DUE_SOON)} due soon",
        f"{reminder.count(STALE)} not updated",
    ]
    plans = reminder.plans
    shown = ", ".join(plans[:3]) + (f" and {len(plans) - 3} more" if len(plans) > 3 else "")
    # Plan keys are checked on import; one_line keeps any stray control character out.
    return one_line(f"Improvement plan actions: {', '.join(counts)} ({shown})")


def days_phrase(item: ReminderItem) -> str:
    """The item's days in words: `40 days overdue`, `due in 5 days`, `55 days since ...`."""
    n = item.days
    if item.kind == OVERDUE:
        return f"{_plural(n, 'day')} overdue"
    if item.kind == DUE_SOON:
        return "due today" if n == 0 else f"due in {_plural(n, 'day')}"
    return f"{_plural(n, 'day')} since its last update"


def _long_date(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _text_body(reminder: OwnerReminder, settings: RuleSettings, sender_name: str) -> str:
    lines = [
        f"For: {one_line(reminder.owner)}",
        "",
        f"These improvement plan actions of yours need an update (as at "
        f"{_long_date(settings.today)}):",
    ]
    for kind, title in _GROUPS:
        items = [i for i in reminder.items if i.kind == kind]
        if not items:
            continue
        heading = title if kind != STALE else f"Not updated for over {settings.update_days} days"
        lines += ["", f"{heading} ({len(items)})", ""]
        for i in items:
            lines.append(f"- {i.address}  [{i.flag}]")
            lines.append(f"  {one_line(i.description)}")
            lines.append(
                f"  Deadline {i.deadline.isoformat()}; {i.status.replace('_', ' ')}; "
                f"{days_phrase(i)}"
            )
    lines += [
        "",
        "Please record progress, a note or a new deadline with its reason, so the next "
        "board sees where things stand.",
        "",
        f"Sent by tracker for {one_line(sender_name)}.",
    ]
    return printable("\n".join(lines)) + "\n"


def _html_body(reminder: OwnerReminder, settings: RuleSettings, sender_name: str) -> str:
    def h(value: str) -> str:
        return escape(one_line(value), quote=True)

    parts = [
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body '
        'style="font-family:Arial,Helvetica,sans-serif;font-size:14px">',
        f"<p>For: <strong>{h(reminder.owner)}</strong></p>",
        f"<p>These improvement plan actions of yours need an update (as at "
        f"{_long_date(settings.today)}):</p>",
    ]
    for kind, title in _GROUPS:
        items = [i for i in reminder.items if i.kind == kind]
        if not items:
            continue
        heading = title if kind != STALE else f"Not updated for over {settings.update_days} days"
        parts.append(f"<h3>{h(heading)} ({len(items)})</h3>")
        parts.append(
            '<table cellpadding="4" style="border-collapse:collapse" border="1"><thead><tr>'
            "<th>Action</th><th>Description</th><th>Deadline</th><th>Days</th><th>Flag</th>"
            "</tr></thead><tbody>"
        )
        for i in items:
            parts.append(
                f"<tr><td>{h(i.address)}</td><td>{h(i.description)}</td>"
                f"<td>{i.deadline.isoformat()}</td><td>{i.days}</td><td>{h(i.flag)}</td></tr>"
            )
        parts.append("</tbody></table>")
    parts.append(
        "<p>Please record progress, a note or a new deadline with its reason, so the next "
        "board sees where things stand.</p>"
        f'<p style="color:#666">Sent by tracker for {h(sender_name)}.</p></body></html>'
    )
    return "".join(parts) + "\n"


def build_message(
    reminder: OwnerReminder,
    *,
    sender: str,
    settings: RuleSettings,
    when: datetime,
    sender_name: str,
) -> EmailMessage:
    """The reminder as one message to the owner's address: plain text and HTML parts."""
    if reminder.email is None:
        raise ValueError("a reminder needs an address")
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = reminder.email
    message["Subject"] = subject_line(reminder)
    message["Date"] = format_datetime(when.replace(tzinfo=UTC))
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(_text_body(reminder, settings, sender_name))
    message.add_alternative(_html_body(reminder, settings, sender_name), subtype="html")
    return message


def eml_name(reminder: OwnerReminder, day: date, taken: set[str]) -> str:
    """A file name for the owner's .eml, safe on every file system and unique in `taken`."""
    slug = re.sub(r"[^a-z0-9]+", "-", one_line(reminder.owner).lower()).strip("-")[:60] or "owner"
    name = f"{day.isoformat()}-{slug}.eml"
    n = 2
    while name in taken:
        name = f"{day.isoformat()}-{slug}-{n}.eml"
        n += 1
    taken.add(name)
    return name


# --- sending ------------------------------------------------------------------------------


class MailError(Exception):
    """A message could not be sent; the text says why in one line.

    `fatal` means the server cannot be used at all (unreachable, refused login, TLS
    failure): the remaining messages are not tried against it.
    """

    def __init__(self, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.fatal = fatal


def parse_server(text: str) -> tuple[str, int]:
    """`HOST[:PORT]` (port 25 by default; `[::1]:25` for an IPv6 address)."""
    raw = text.strip()
    if not raw:
        raise ValueError("give the mail server as HOST or HOST:PORT")
    host, port = raw, 25
    if raw.startswith("["):
        end = raw.find("]")
        if end < 0:
            raise ValueError(f"{text!r}: an IPv6 address is written [::1]:25")
        host, rest = raw[1:end], raw[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"{text!r} is not HOST[:PORT]")
            port = _port(rest[1:], text)
    elif raw.count(":") == 1:
        host, _, number = raw.partition(":")
        port = _port(number, text)
    if not host or any(c.isspace() for c in host) or "/" in host:
        raise ValueError(f"{text!r} is not HOST[:PORT]")
    return host, port


def _port(text: str, whole: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError(f"{whole!r}: the port must be a number from 1 to 65535")
    return int(text)


def _reason(exc: BaseException) -> str:
    """An SMTP or network failure as one short line."""
    if isinstance(exc, smtplib.SMTPResponseException):
        detail = exc.smtp_error
        text = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
        return f"{exc.smtp_code} {one_line(text)}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [
            f"{code} {one_line(msg.decode('utf-8', 'replace') if isinstance(msg, bytes) else msg)}"
            for code, msg in exc.recipients.values()
        ]
        return "; ".join(codes)
    return one_line(str(exc)) or type(exc).__name__


class SmtpSender:
    """One connection to an SMTP server, opened on first use and again after a drop.

    STARTTLS is used whenever the server offers it (certificates verified as a browser
    would); a login (`user`, `password`) is only ever sent over TLS.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        user: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.host, self.port = host, port
        self.user, self.password = user, password
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None
        self.tls = False

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def _connect(self) -> smtplib.SMTP:
        try:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except TimeoutError:
            raise MailError(
                f"{self.where}: no answer within {self.timeout:g} s (timed out)", fatal=True
            ) from None
        except smtplib.SMTPServerDisconnected as exc:
            raise self._disconnected(exc, fatal=True) from None
        except smtplib.SMTPException as exc:
            raise MailError(f"{self.where}: {_reason(exc)}", fatal=True) from None
        except OSError as exc:
            why = exc.strerror or str(exc) or type(exc).__name__
            raise MailError(f"{self.where}: cannot connect: {one_line(why)}", fatal=True) from None
        try:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
                self.tls = True
            if self.user:
                if not self.tls:
                    raise MailError(
                        f"{self.where}: the server does not offer STARTTLS; tracker will not "
                        "send TRACKER_SMTP_USER's password unencrypted",
                        fatal=True,
                    )
                if not smtp.has_extn("auth"):
                    raise MailError(
                        f"{self.where}: the server offers no login (AUTH) but "
                        "TRACKER_SMTP_USER is set",
                        fatal=True,
                    )
                smtp.login(self.user, self.password or "")
        except MailError:
            _close(smtp)
            raise
        except smtplib.SMTPServerDisconnected as exc:
            _close(smtp)
            raise self._disconnected(exc, fatal=True) from None
        except smtplib.SMTPAuthenticationError as exc:
            _close(smtp)
            raise MailError(
                f"{self.where}: login refused for {self.user!r}: {_reason(exc)}", fatal=True
            ) from None
        except ssl.SSLError as exc:
            _close(smtp)
            raise MailError(
                f"{self.where}: STARTTLS failed: {one_line(exc.reason or str(exc))}", fatal=True
            ) from None
        except TimeoutError:
            _close(smtp)
            raise MailError(
                f"{self.where}: no answer within {self.timeout:g} s (timed out)", fatal=True
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            _close(smtp)
            raise MailError(f"{self.where}: {_reason(exc)}", fatal=True) from None
        return smtp

    def _disconnected(self, exc: smtplib.SMTPServerDisconnected, *, fatal: bool) -> MailError:
        """smtplib reports a read that timed out as a closed connection: tell them apart."""
        if "timed out" in str(exc):
            return MailError(
                f"{self.where}: no answer within {self.timeout:g} s (timed out)", fatal=fatal
            )
        return MailError(f"{self.where}: the server dropped the connection ({exc})", fatal=fatal)

    def send(self, message: EmailMessage) -> None:
        """Send one message; a MailError says why it did not go (nothing was delivered)."""
        if self._smtp is None:
            self._smtp = self._connect()
        smtp = self._smtp
        try:
            refused = smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise MailError(f"the server refused the recipient: {_reason(exc)}") from None
        except smtplib.SMTPSenderRefused as exc:
            raise MailError(f"the server refused the sender: {_reason(exc)}", fatal=True) from None
        except smtplib.SMTPDataError as exc:
            raise MailError(f"the server refused the message: {_reason(exc)}") from None
        except TimeoutError:
            self._drop()
            raise MailError(
                f"{self.where}: no answer within {self.timeout:g} s (timed out)"
            ) from None
        except smtplib.SMTPServerDisconnected as exc:
            self._drop()
            raise self._disconnected(exc, fatal=False) from None
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise MailError(f"{self.where}: {_reason(exc)}") from None
        if refused:
            raise MailError(f"the server refused the recipient: {refused}")

    def _drop(self) -> None:
        if self._smtp is not None:
            _close(self._smtp)
            self._smtp = None

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            finally:
                _close(self._smtp)
                self._smtp = None


def _close(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        smtp.close()


def iter_lines(message: EmailMessage) -> Iterator[str]:
    """The message as a person reads it (for --dry-run): headers, then the plain text."""
    for name in ("From", "To", "Subject", "Date"):
        yield f"{name}: {message[name]}"
    yield ""
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    yield from str(text).rstrip("\n").split("\n")
