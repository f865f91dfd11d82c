"""`tracker remind`: one message per owner, checked against real SMTP servers on 127.0.0.1.

The servers are started by the tests (tests/smtp_support.py): aiosmtpd, with STARTTLS on a
throwaway certificate and AUTH where a test needs them, and bare sockets that drop the
connection or never answer.
"""

from __future__ import annotations

import io
import time
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from conftest import SAMPLES
from smtp_support import MailServer, RawServer, free_port, make_certificate

from tracker.cli import main
from tracker.domain.records import ActionChanges
from tracker.formats.plan_toml import load_plan_file
from tracker.storage.owners import reminders, set_email
from tracker.storage.store import Store

PLAN = "staffordshire-2024-ilacs"
SENDER = "improvement.board@staffs.example.gov.uk"
EVIL = "Ops Team\r\nBcc: attacker@evil.example\r\nSubject: pwned"
ADDRESSES = {
    "LADO Manager": "lado@staffs.example.gov.uk",
    "Head of Safeguarding": "hos@staffs.example.gov.uk",
    EVIL: "ops@staffs.example.gov.uk",
}


@pytest.fixture
def store(empty_store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    """The plan imported on 1 October (so its quiet actions are stale on 25 November);
    three owners with addresses, one of them with header-like text in its name."""
    path = SAMPLES / f"{PLAN}.toml"
    monkeypatch.setenv("TRACKER_NOW", "2026-10-01T09:00:00Z")
    empty_store.import_plans([(path.name, load_plan_file(path))], user="seed")
    empty_store.update_action(f"{PLAN}:R4.2", ActionChanges(owner=EVIL), user="seed")
    monkeypatch.setenv("TRACKER_NOW", "2026-11-25T10:00:00Z")
    for owner, address in ADDRESSES.items():
        set_email(empty_store, owner, address, user="seed")
    return empty_store


def _run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(args), out=out), out.getvalue()


def _parsed(content: bytes) -> EmailMessage:
    message = message_from_bytes(content, policy=default)
    assert isinstance(message, EmailMessage)
    return message


def _expected(store: Store, owner: str) -> set[str]:
    """The actions a reminder to `owner` must list: open and overdue, due soon or stale."""
    from datetime import date

    from tracker.domain.rules import RuleSettings

    settings = RuleSettings(today=date(2026, 11, 25))
    return {
        r.address
        for r in store.iter_actions(settings=settings)
        if r.owner == owner
        and (r.overdue(settings.today) or r.due_soon(settings) or r.stale(settings))
    }


def _sent_records(store: Store) -> dict[str, tuple[str, ...]]:
    return {r.owner: r.actions for r in reminders(store) if r.status == "sent"}


def test_one_message_per_owner_with_the_right_recipients_and_actions(
    store: Store, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with MailServer() as server:
        code, out = _run("--db", db_url, "remind", "--smtp", server.address, "--from", SENDER)
    assert code == 0, out
    received = {m.rcpt_tos[0]: m for m in server.messages}
    assert sorted(received) == sorted(ADDRESSES.values())
    for owner, address in ADDRESSES.items():
        got = received[address]
        assert got.rcpt_tos == [address]  # one recipient, nobody else
        assert got.mail_from == SENDER
        message = _parsed(got.content)
        assert message["To"] == address
        assert message["From"] == SENDER
        assert message.get_all("Bcc") is None
        plain = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        assert plain is not None
        assert html is not None
        text = plain.get_content()
        wanted = _expected(store, owner)
        assert wanted
        for action in wanted:
            assert action in text
            assert action in html.get_content()
        subject = message["Subject"]
        assert subject.startswith("Improvement plan actions: ")
        assert subject.endswith(f"({PLAN})")
    # Each action with its address, flag, description, deadline and days.
    hos = _parsed(received[ADDRESSES["Head of Safeguarding"]].content)
    body = hos.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert f"- {PLAN}:R3.3  [OVERDUE 40d, no update 55d]" in text
    assert "  Audit LADO files quarterly" in text
    assert "  Deadline 2026-10-16; in progress; 40 days overdue" in text
    assert hos["Subject"] == (
        f"Improvement plan actions: 1 overdue, 0 due soon, 0 not updated ({PLAN})"
    )
    html_part = hos.get_body(preferencelist=("html",))
    assert html_part is not None
    assert "<td>2026-10-16</td><td>40</td><td>OVERDUE 40d, no update 55d</td>" in (
        html_part.get_content()
    )
    # Each message is recorded: who, when, which actions.
    records = _sent_records(store)
    assert {o: set(a) for o, a in records.items()} == {o: _expected(store, o) for o in ADDRESSES}
    assert f"sent to 'LADO Manager' <{ADDRESSES['LADO Manager']}>" in out
    assert "3 sent, 0 failed, 0 already reminded today" in out
    # Owners with flagged actions and no address are named on stderr and skipped.
    err = capsys.readouterr().err
    assert "'Head of Leaving Care Service' has no address" in err


def test_nobody_gets_two_on_one_day_unless_again(store: Store, db_url: str) -> None:
    with MailServer() as server:
        assert _run("--db", db_url, "remind", "--smtp", server.address, "--from", SENDER)[0] == 0
        code, out = _run("--db", db_url, "remind", "--smtp", server.address, "--from", SENDER)
        assert code == 0
        assert len(server.messages) == 3
        assert "0 sent, 0 failed, 3 already reminded today" in out
        code, out = _run(
            "--db", db_url, "remind", "--smtp", server.address, "--from", SENDER,
            "--owner", "lado", "--again",
        )  # fmt: skip
        assert code == 0
        assert len(server.messages) == 4
        assert server.messages[-1].rcpt_tos == [ADDRESSES["LADO Manager"]]


def test_a_refused_recipient_does_not_stop_the_others(
    store: Store, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    refused = ADDRESSES["Head of Safeguarding"]
    with MailServer(refuse={refused}) as server:
        code, out = _run("--db", db_url, "remind", "--smtp", server.address, "--from", SENDER)
    assert code == 1
    assert sorted(m.rcpt_tos[0] for m in server.messages) == sorted(
        a for a in ADDRESSES.values() if a != refused
    )
    assert "2 sent, 1 failed" in out
    err = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert err == [
        f"tracker: error: 'Head of Safeguarding' <{refused}>: the server refused the recipient: "
        f"550 5.1.1 <{refused}>: mailbox unavailable; nothing recorded as sent"
    ]
    assert "Head of Safeguarding" not in _sent_records(store)
    failed = [r for r in reminders(store) if r.status == "failed"]
    assert [r.owner for r in failed] == ["Head of Safeguarding"]
    # The next run tries the one that failed, and only that one.
    with MailServer() as server:
        code, out = _run("--db", db_url, "remind", "--smtp", server.address, "--from", SENDER)
    assert code == 0
    assert [m.rcpt_tos for m in server.messages] == [[refused]]


def test_a_dropped_connection_fails_each_owner_in_one_line(
    store: Store, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with RawServer("drop") as server:
        code, out = _run("--db", db_url, "remind", "--smtp", server.address, "--from", SENDER)
    assert code == 1
    assert "0 sent, 3 failed" in out
    err = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(err) == 3
    assert all("dropped the connection" in line or "closed" in line for line in err), err
    assert server.connections >= 2  # it tried again for the next owner
    assert _sent_records(store) == {}


def test_an_unreachable_server(
    store: Store, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    address = f"127.0.0.1:{free_port()}"  # nothing listens there
    code, _ = _run("--db", db_url, "remind", "--smtp", address, "--from", SENDER)
    assert code == 1
    err = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(err) == 3
    assert all(f"{address}: cannot connect: Connection refused" in line for line in err)
    assert _sent_records(store) == {}


def test_a_hanging_server_times_out(
    store: Store, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with RawServer("hang") as server:
        started = time.monotonic()
        code, _ = _run(
            "--db", db_url, "remind", "--smtp", server.address, "--from", SENDER,
            "--timeout", "0.5",
        )  # fmt: skip
        took = time.monotonic() - started
    assert code == 1
    err = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(err) == 3
    assert all("no answer within 0.5 s (timed out)" in line for line in err), err
    assert took < 5  # one wait, not one per owner
    assert _sent_records(store) == {}


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    return make_certificate(tmp_path)


def test_starttls_with_a_throwaway_certificate_and_auth(
    store: Store,
    db_url: str,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # trust the throwaway CA
    monkeypatch.setenv("TRACKER_SMTP_USER", "board")
    monkeypatch.setenv("TRACKER_SMTP_PASSWORD", "s3cret")
    monkeypatch.setenv("TRACKER_MAIL_FROM", SENDER)
    with MailServer(certificate=certificate, users={"board": "s3cret"}) as server:
        code, out = _run("--db", db_url, "remind", "--smtp", server.address)
    assert code == 0, out
    assert len(server.messages) == 3
    assert all(m.tls for m in server.messages)
    assert all(m.login == "board" for m in server.messages)


def test_a_refused_login(
    store: Store,
    db_url: str,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    monkeypatch.setenv("TRACKER_SMTP_USER", "board")
    monkeypatch.setenv("TRACKER_SMTP_PASSWORD", "wrong")
    with MailServer(certificate=certificate, users={"board": "s3cret"}) as server:
        code, _ = _run("--db", db_url, "remind", "--smtp", server.address, "--from", SENDER)
    assert code == 1
    assert server.messages == []
    err = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(err) == 3
    assert all("login refused for 'board': 535" in line for line in err), err
    assert _sent_records(store) == {}


def test_an_untrusted_certificate_is_refused(
    store: Store,
    db_url: str,
    certificate: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    with MailServer(certificate=certificate) as server:
        code, _ = _run("--db", db_url, "remind", "--smtp", server.address, "--from", SENDER)
    assert code == 1
    assert server.messages == []
    err = capsys.readouterr().err
    assert "STARTTLS failed: CERTIFICATE_VERIFY_FAILED" in err


def test_a_password_is_never_sent_without_tls(
    store: Store, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRACKER_SMTP_USER", "board")
    monkeypatch.setenv("TRACKER_SMTP_PASSWORD", "s3cret")
    with MailServer() as server:
        code, _ = _run("--db", db_url, "remind", "--smtp", server.address, "--from", SENDER)
    assert code == 1
    assert server.messages == []
    assert "does not offer STARTTLS" in capsys.readouterr().err


def test_owner_text_cannot_inject_headers(store: Store, db_url: str) -> None:
    with MailServer() as server:
        code, _ = _run(
            "--db", db_url, "remind", "--smtp", server.address, "--from", SENDER,
            "--owner", "ops team",
        )  # fmt: skip
    assert code == 0
    [got] = server.messages
    assert got.rcpt_tos == ["ops@staffs.example.gov.uk"]
    message = _parsed(got.content)
    assert message.get_all("Bcc") is None
    assert message.get_all("Subject") == [message["Subject"]]
    assert "pwned" not in message["Subject"]
    assert b"attacker@evil.example" not in got.content.split(b"\r\n\r\n", 1)[0]
    plain = message.get_body(preferencelist=("plain",))
    assert plain is not None
    assert "For: Ops Team Bcc: attacker@evil.example Subject: pwned" in plain.get_content()


def test_dry_run_prints_and_records_nothing(
    store: Store, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run("--db", db_url, "remind", "--dry-run", "--plan", PLAN)
    assert code == 0
    assert out.count("Subject: Improvement plan actions: ") == 3
    assert f"To: {ADDRESSES['LADO Manager']}" in out
    assert "3 reminders would be sent (dry run: nothing sent, nothing recorded)" in out
    assert reminders(store) == []
    assert "has no address" in capsys.readouterr().err


def test_outbox_writes_one_eml_per_owner(store: Store, db_url: str, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    code, _ = _run("--db", db_url, "remind", "--outbox", str(outbox), "--from", SENDER)
    assert code == 0
    files = sorted(outbox.glob("*.eml"))
    assert [f.name for f in files] == [
        "2026-11-25-head-of-safeguarding.eml",
        "2026-11-25-lado-manager.eml",
        "2026-11-25-ops-team-bcc-attacker-evil-example-subject-pwned.eml",
    ]
    for path in files:
        message = _parsed(path.read_bytes())
        assert message["From"] == SENDER
        assert message.get_content_type() == "multipart/alternative"
        assert message["To"] in ADDRESSES.values()
    assert reminders(store) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "say how to deliver"),
        (("--dry-run", "--outbox", "x"), "say how to deliver"),
        (("--smtp", "127.0.0.1:2525"), "--smtp needs a sender"),
        (("--smtp", "127.0.0.1:99999", "--from", SENDER), "--smtp: '127.0.0.1:99999': the port"),
        (("--dry-run", "--from", "not an address"), "--from: 'not an address'"),
        (("--smtp", "127.0.0.1", "--from", SENDER, "--timeout", "-1"), "0.1 to 600 seconds"),
        (("--smtp", "127.0.0.1", "--from", SENDER, "--timeout", "soon"), "number of seconds"),
    ],
)
def test_bad_command_lines(
    store: Store,
    db_url: str,
    args: tuple[str, ...],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TRACKER_MAIL_FROM", raising=False)
    code, _ = _run("--db", db_url, "remind", *args)
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("tracker: error: ")
    assert message in err
    assert len(err.strip().splitlines()) == 1
