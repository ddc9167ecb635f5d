"""The firm's side of invitations: sending them in bulk, resending, revoking, listing, the audit trail.

`send_invitations` validates every row in memory, loads what it checks against with one query per
kind (portfolio, open invitations, collaborations) and writes with bulk inserts, so the number of
SQL round trips stays the same for 5 rows or 1,000. Valid rows are sent even when others fail;
every failing row is reported at its input path and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Sequence

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from domain.accounts.models import User
from domain.companies.models import Company
from domain.companies.service import require_inviter, require_member
from domain.efactura.service import require_ready_for_portfolio
from domain.invitations.expiry import expire_overdue
from domain.invitations.mail import invitation_message, invite_link
from domain.invitations.mail import send_invitations as queue_invitation_mail
from domain.invitations.models import (
    OPEN_INVITATION_STATUSES,
    Collaboration,
    CollaborationStatus,
    IdempotencyRecord,
    Invitation,
    InvitationEvent,
    InvitationStatus,
)
from domain.invitations.state import Action, effective_status, link_sent_invitations, open_key, record, require_status, with_companies
from domain.invitations.texts import invitation_received
from domain.kernel import clock, throttle
from domain.kernel.bulk import insert_rows
from domain.kernel.contacts import clean_name, normalise_cui, normalise_email, normalise_phone
from domain.kernel.errors import AccessError, DomainError, ErrorCode, NotFound
from domain.kernel.events import company_channel, emit, unit_of_work
from domain.kernel.secrets import new_secret
from domain.notifications.models import NotificationKind
from domain.notifications.service import Notice, notify_many
from domain.portfolio.models import PortfolioEntry

MAX_ROWS = 1000
MAX_MESSAGE_LENGTH = 1000
RESEND_LIMIT = 3
RESEND_WINDOW = timedelta(hours=1)
MAIL_CAP_WINDOW = timedelta(days=1)
SEND_OPERATION = "sendInvitations"


@dataclass(frozen=True)
class InvitationRequest:
    """One row as the accountant typed it."""

    cui: str
    representative_name: str
    email: str
    phone: str
    message: str | None = None


@dataclass(frozen=True)
class _ValidRow:
    index: int
    cui: str
    representative_name: str
    email: str
    phone: str
    message: str | None


@dataclass
class SendResult:
    invitations: list[Invitation] = field(default_factory=list)
    errors: list[DomainError] = field(default_factory=list)


@dataclass(frozen=True)
class Links:
    """Where links point and how long they live (from settings)."""

    app_url: str
    ttl_seconds: int
    # Invitation e-mails (sent and resent) a day, per recipient address over every firm, and per firm.
    per_recipient_daily: int = 10
    per_firm_daily: int = 3000


def _row_path(index: int, name: str) -> tuple[str, str, str]:
    return ("invitations", str(index), name)


def _clean_message(raw: str | None) -> str | None:
    text = (raw or "").strip()
    if len(text) > MAX_MESSAGE_LENGTH:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Keep the message under {MAX_MESSAGE_LENGTH} characters.",
                          f"Mesajul trebuie să aibă sub {MAX_MESSAGE_LENGTH} de caractere.", field=["message"])
    return text or None


def _validate_row(index: int, row: InvitationRequest, memo: dict | None = None) -> _ValidRow | list[DomainError]:
    """Every bad field of the row, or the normalised row. `memo` keeps each distinct value's outcome
    across the rows of a call (one representative often answers for several companies)."""
    memo = {} if memo is None else memo
    values, errors = {}, []
    checks = (("cui", normalise_cui, row.cui), ("representativeName", clean_name, row.representative_name),
              ("email", normalise_email, row.email), ("phone", normalise_phone, row.phone), ("message", _clean_message, row.message))
    for name, check, raw in checks:
        outcome = memo.get((name, raw), memo)
        if outcome is memo:
            try:
                outcome = check(raw)
            except DomainError as exc:
                outcome = exc
            memo[(name, raw)] = outcome
        if isinstance(outcome, DomainError):
            errors.append(DomainError(outcome.code, outcome.en, outcome.ro, field=_row_path(index, name)))
        else:
            values[name] = outcome
    if errors:
        return errors
    return _ValidRow(index=index, cui=values["cui"], representative_name=values["representativeName"], email=values["email"],
                     phone=values["phone"], message=values["message"])


def _row_error(code: ErrorCode, index: int, cui: str) -> DomainError:
    texts = {
        ErrorCode.NOT_IN_PORTFOLIO: (f"CUI {cui} is not in your portfolio. Discover it or add it first.",
                                     f"CUI {cui} nu este în portofoliul dumneavoastră. Descoperiți-l sau adăugați-l întâi."),
        ErrorCode.ALREADY_INVITED: (f"CUI {cui} already has an open invitation.", f"CUI {cui} are deja o invitație deschisă."),
        ErrorCode.ALREADY_COLLABORATING: (f"You already collaborate with CUI {cui}.", f"Colaborați deja cu CUI {cui}."),
    }
    en, ro = texts[code]
    return DomainError(code, en, ro, field=_row_path(index, "cui"))


def _cap_error(*, field: list | None = None, firm: bool = False) -> DomainError:
    if firm:
        return DomainError(ErrorCode.RATE_LIMITED, "Your firm has sent as many invitation e-mails as it may today. Send the rest tomorrow.",
                           "Firma a trimis astăzi toate e-mailurile de invitație permise. Trimiteți-le pe celelalte mâine.", field=field)
    return DomainError(ErrorCode.RATE_LIMITED, "This address has received as many invitation e-mails as it may today. Try again tomorrow.",
                       "Această adresă a primit astăzi toate e-mailurile de invitație permise. Încercați din nou mâine.", field=field)


async def _take_mail_slots(firm_id: int, emails: Sequence[str], links: Links) -> list[DomainError | None]:
    """Per e-mail to send (in order): None when the daily caps let it go (per firm, the first ones
    go; then per recipient), else the error to report. Inside the caller's transaction, so a
    rolled-back send takes nothing."""
    if not emails:
        return []
    firm_key = f"invitation:mail:firm:{firm_id}"
    firm_room = await throttle.take(firm_key, limit=links.per_firm_daily, window=MAIL_CAP_WINDOW, amount=len(emails))
    keys = [throttle.key_for("invitation:mail:to", email) for email in emails]
    wanted: dict[str, int] = {}
    for key in keys[:firm_room]:
        wanted[key] = wanted.get(key, 0) + 1
    room = await throttle.take_many(wanted, limit=links.per_recipient_daily, window=MAIL_CAP_WINDOW)
    outcome: list[DomainError | None] = []
    for position, key in enumerate(keys):
        if position >= firm_room:
            outcome.append(_cap_error(firm=True))
        elif room.get(key, 0) > 0:
            room[key] -= 1
            outcome.append(None)
        else:
            outcome.append(_cap_error())
    refused_by_recipient = sum(1 for position, error in enumerate(outcome) if position < firm_room and error is not None)
    if refused_by_recipient:
        await throttle.give_back({firm_key: refused_by_recipient}, MAIL_CAP_WINDOW)
    return outcome


def _error_to_json(error: DomainError) -> dict:
    return {"code": str(error.code), "en": error.en, "ro": error.ro, "field": error.field}


def _error_from_json(data: dict) -> DomainError:
    return DomainError(ErrorCode(data["code"]), data["en"], data["ro"], field=data["field"])


async def _replay(company_id: int, key: str) -> SendResult | None:
    """The stored answer of an earlier call with the same idempotency key."""
    stored = await IdempotencyRecord.get_or_none(company_id=company_id, operation=SEND_OPERATION, key=key)
    if stored is None or "invitation_ids" not in stored.result:
        return None
    ids = stored.result["invitation_ids"]
    rows = {inv.id: inv for inv in await Invitation.filter(id__in=ids).select_related("firm", "client_company")}
    return SendResult(invitations=[rows[i] for i in ids if i in rows], errors=[_error_from_json(e) for e in stored.result["errors"]])


async def send_invitations(*, actor: User, company_id: int | str, rows: Sequence[InvitationRequest], links: Links,
                           idempotency_key: str | None = None, efactura=None, oauth=None) -> SendResult:
    """Invite the representatives of portfolio companies; see the module docstring. Owners and
    administrators only, unless the firm lets every member invite. Given the ANAF clients, an
    authorization whose rights on the firm were never confirmed is checked first."""
    membership = await require_inviter(actor, company_id)
    firm = membership.company
    await require_ready_for_portfolio(firm, efactura=efactura, oauth=oauth)
    if len(rows) > MAX_ROWS:
        raise DomainError(ErrorCode.TOO_MANY_ITEMS, f"Send at most {MAX_ROWS} invitations at a time.",
                          f"Trimiteți cel mult {MAX_ROWS} de invitații odată.", field=["invitations"])
    key = (idempotency_key or "").strip()[:128] or None
    if key and (earlier := await _replay(firm.id, key)) is not None:
        return earlier

    result = SendResult()
    valid: list[_ValidRow] = []
    memo: dict = {}
    for index, row in enumerate(rows):
        checked = _validate_row(index, row, memo)
        if isinstance(checked, list):
            result.errors += checked
        else:
            valid.append(checked)
    # A concurrent call may take an open_key between our read and our insert; the unique index then
    # refuses the whole batch and a second pass reports those rows as ALREADY_INVITED.
    for attempt in (1, 2):
        try:
            return await _send_valid(actor=actor, firm=firm, valid=valid, invalid=result.errors, links=links, key=key)
        except IntegrityError:
            if key and (earlier := await _replay(firm.id, key)) is not None:
                return earlier
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def _send_valid(*, actor: User, firm: Company, valid: list[_ValidRow], invalid: list[DomainError], links: Links,
                      key: str | None) -> SendResult:
    errors = list(invalid)
    at = clock.now()
    async with unit_of_work():
        if key:
            # Taken first: a concurrent retry with the same key waits on this row, then replays our answer.
            await IdempotencyRecord.create(company_id=firm.id, user_id=actor.id, operation=SEND_OPERATION, key=key, result={})
        cuis = list({row.cui for row in valid})
        await expire_overdue(firm_id=firm.id)  # an overdue open invitation must not block a new one
        portfolio = dict(await PortfolioEntry.filter(firm_id=firm.id, cui__in=cuis).values_list("cui", "name")) if cuis else {}
        open_cuis = set(await Invitation.filter(open_key__in=[open_key(firm.id, c) for c in cuis]).values_list("cui", flat=True)) if cuis else set()
        collaborating = set(await Collaboration.filter(firm_id=firm.id, status=CollaborationStatus.ACTIVE, client__cui__in=cuis)
                            .values_list("client__cui", flat=True)) if cuis else set()
        to_create: list[dict] = []
        tokens: dict[str, str] = {}
        seen: set[str] = set()
        to_send: list[_ValidRow] = []
        expires_at = at + timedelta(seconds=links.ttl_seconds)
        for row in valid:
            code = (ErrorCode.ALREADY_INVITED if row.cui in seen or row.cui in open_cuis else
                    ErrorCode.NOT_IN_PORTFOLIO if row.cui not in portfolio else
                    ErrorCode.ALREADY_COLLABORATING if row.cui in collaborating else None)
            if code is not None:
                errors.append(_row_error(code, row.index, row.cui))
                continue
            seen.add(row.cui)
            to_send.append(row)
        for row, refused in zip(to_send, await _take_mail_slots(firm.id, [r.email for r in to_send], links)):
            if refused is not None:
                errors.append(DomainError(refused.code, refused.en, refused.ro, field=_row_path(row.index, "email")))
                continue
            token, token_hash = new_secret()
            tokens[token_hash] = token
            to_create.append(dict(firm_id=firm.id, cui=row.cui, company_name=portfolio[row.cui], representative_name=row.representative_name,
                                  email=row.email, phone=row.phone, message=row.message, token_hash=token_hash,
                                  open_key=open_key(firm.id, row.cui), created_by_id=actor.id, sent_at=at, expires_at=expires_at))
        invitations: list[Invitation] = []
        if to_create:
            # Plain rows in one INSERT, read back whole (ids included) as the ORM reads any row, in input order.
            inserted = {r["token_hash"]: r for r in await insert_rows(Invitation, to_create, returning=("*",))}
            invitations = [Invitation._init_from_db(**inserted[r["token_hash"]]) for r in to_create]
            await insert_rows(InvitationEvent, [dict(invitation_id=inv.id, actor_id=actor.id, action=Action.SENT) for inv in invitations])
            await link_sent_invitations(firm.id, [inv.cui for inv in invitations])
            accounts = await User.filter(email__in=list({inv.email for inv in invitations})).values_list("id", "email", "locale")
            with_account = {email for _, email, _ in accounts}
            await queue_invitation_mail(invitation_message(inv, firm_name=firm.name, link=invite_link(links.app_url, tokens[inv.token_hash]),
                                                           account_exists=inv.email in with_account)
                                        for inv in invitations)
            await _ring_existing_accounts(firm, invitations, accounts)
            for inv in invitations:
                inv.firm = firm
                emit(company_channel(firm.id), "invitation", id=inv.id)
        errors.sort(key=lambda e: int(e.field[1]) if e.field and len(e.field) > 1 and e.field[1].isdigit() else -1)
        if key:
            await IdempotencyRecord.filter(company_id=firm.id, operation=SEND_OPERATION, key=key).update(
                result={"invitation_ids": [inv.id for inv in invitations], "errors": [_error_to_json(e) for e in errors]})
    return SendResult(invitations=invitations, errors=errors)


async def _ring_existing_accounts(firm: Company, invitations: list[Invitation], accounts: list[tuple[int, str, str]]) -> None:
    """Invitees whose e-mail already has an account (`accounts`: id, e-mail, locale) see the
    invitation in their bell at once, and can take it from there (`claim_by_id`); the others get it
    when they sign up from the link."""
    by_email = {email: user_id for user_id, email, _ in accounts}
    notices = [Notice(user_id=by_email[inv.email], kind=NotificationKind.COLLABORATION_INVITATION,
                      text=invitation_received(firm.name, inv.company_name, inv.cui), company_id=firm.id, invitation_id=inv.id)
               for inv in invitations if inv.email in by_email]
    await notify_many(notices, locales={user_id: locale for user_id, _, locale in accounts})


async def _firm_invitation(actor: User, invitation_id: int | str, *, lock: bool = False) -> Invitation:
    """An invitation of a firm the actor belongs to (NOT_FOUND otherwise), with its firm loaded."""
    try:
        iid = int(invitation_id)
    except (TypeError, ValueError):
        raise NotFound("No invitation with that id.") from None
    query = Invitation.filter(id=iid)
    invitation = await (query.select_for_update() if lock else query).first()
    if invitation is None:
        raise NotFound("No invitation with that id.")
    try:
        membership = await require_member(actor, invitation.firm_id)
    except AccessError:
        # A client of the firm sees the firm, not its invitations to others.
        raise NotFound("No invitation with that id.") from None
    await require_inviter(actor, invitation.firm_id)  # a member sees the invitation; changing it may need a role
    invitation.firm = membership.company
    return invitation


async def resend_invitation(*, actor: User, invitation_id: int | str, links: Links) -> Invitation:
    """A new link (the old one dies), the expiry restarts, the same invitation; a few times an hour at most."""
    await _firm_invitation(actor, invitation_id)
    async with unit_of_work():
        invitation = await _firm_invitation(actor, invitation_id, lock=True)
        require_status(invitation, InvitationStatus.PENDING)
        # Counted in this transaction (with the row locked): parallel resends cannot pass together.
        await throttle.hit(throttle.Limit(f"invitation:resend:{invitation.id}", RESEND_LIMIT, RESEND_WINDOW))
        refused = (await _take_mail_slots(invitation.firm_id, [invitation.email], links))[0]
        if refused is not None:
            raise refused
        token, invitation.token_hash = new_secret()
        invitation.previous_token_hash = None
        invitation.sent_at = clock.now()
        invitation.expires_at = invitation.sent_at + timedelta(seconds=links.ttl_seconds)
        invitation.reminders_sent = 0
        await invitation.save(update_fields=["token_hash", "previous_token_hash", "sent_at", "expires_at", "reminders_sent"])
        await record(invitation, action=Action.RESENT, actor_id=actor.id)
        await queue_invitation_mail([invitation_message(invitation, firm_name=invitation.firm.name, link=invite_link(links.app_url, token),
                                                        account_exists=await User.filter(email=invitation.email).exists())])
    return await with_companies(invitation)


async def revoke_invitation(*, actor: User, invitation_id: int | str) -> Invitation:
    """Withdraw an open invitation: its link stops working and a waiting collaboration request disappears."""
    async with unit_of_work():
        invitation = await _firm_invitation(actor, invitation_id, lock=True)
        require_status(invitation, *OPEN_INVITATION_STATUSES)
        invitation.status, invitation.open_key, invitation.revoked_at = InvitationStatus.REVOKED, None, clock.now()
        await invitation.save(update_fields=["status", "open_key", "revoked_at"])
        await record(invitation, action=Action.REVOKED, actor_id=actor.id)
        if invitation.client_company_id:
            emit(company_channel(invitation.client_company_id), "invitation", id=invitation.id)
    return await with_companies(invitation)


def _status_filter(status: InvitationStatus, at) -> Q:
    if status in OPEN_INVITATION_STATUSES:
        return Q(status=status, expires_at__gt=at)
    if status == InvitationStatus.EXPIRED:
        return Q(status=InvitationStatus.EXPIRED) | Q(status__in=list(OPEN_INVITATION_STATUSES), expires_at__lte=at)
    return Q(status=status)


async def page(*, actor: User, company_id: int | str, status: InvitationStatus | None = None, first: int = 50,
               before_id: int | None = None) -> tuple[list[Invitation], bool, int]:
    """The firm's invitations, newest first, with firm and client company loaded; (rows, has_next, total)."""
    membership = await require_member(actor, company_id)
    query = Invitation.filter(firm_id=membership.company_id)
    if status is not None:
        query = query.filter(_status_filter(status, clock.now()))
    total = await query.count()
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    rows = await query.order_by("-id").limit(first + 1).select_related("firm", "client_company")
    return rows[:first], len(rows) > first, total


async def events_of(invitation_ids: Sequence[int]) -> dict[int, list[InvitationEvent]]:
    """The audit trails of several invitations, oldest first, with the acting user (one query)."""
    trails: dict[int, list[InvitationEvent]] = {i: [] for i in invitation_ids}
    for event in await InvitationEvent.filter(invitation_id__in=list(invitation_ids)).order_by("id").select_related("actor"):
        trails[event.invitation_id].append(event)
    return trails


__all__ = ["InvitationRequest", "Links", "SendResult", "send_invitations", "resend_invitation", "revoke_invitation",
           "page", "events_of", "effective_status", "MAX_ROWS"]
