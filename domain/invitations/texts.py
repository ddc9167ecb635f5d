"""The bell texts of the invitation flow, in Romanian and English."""

from __future__ import annotations

from domain.companies.models import Company
from domain.notifications.service import Text


def collaboration_invitation(firm: Company, company: Company) -> Text:
    return Text(ro=("Invitație de colaborare", f"{firm.name} vă invită să colaborați pentru {company.name} (CUI {company.cui}). Acceptați sau refuzați."),
                en=("Collaboration invitation", f"{firm.name} invites you to collaborate on {company.name} (CUI {company.cui}). Accept or decline."))


def invitation_received(firm_name: str, company_name: str, cui: str) -> Text:
    """To an invitee who already has an account, when the firm sends: the bell offers to claim it."""
    return Text(ro=("Invitație de colaborare", f"{firm_name} vă invită să colaborați pentru {company_name} (CUI {cui}). "
                                               "Preluați invitația, apoi acceptați sau refuzați colaborarea."),
                en=("Collaboration invitation", f"{firm_name} invites you to collaborate on {company_name} (CUI {cui}). "
                                                "Take the invitation, then accept or decline the collaboration."))


def client_account_created(company: Company, *, sent_to_owners: bool) -> Text:
    if sent_to_owners:
        return Text(ro=("Client înscris", f"{company.name} era deja pe platformă: cererea de colaborare a fost trimisă administratorilor ei."),
                    en=("Client signed up", f"{company.name} was already on the platform: the collaboration request went to its administrators."))
    return Text(ro=("Client înscris", f"{company.name} și-a creat cont. Așteptăm să accepte colaborarea."),
                en=("Client signed up", f"{company.name} has created an account. Waiting for them to accept the collaboration."))


def answered(company: Company, *, accepted: bool) -> Text:
    if accepted:
        return Text(ro=("Invitație acceptată", f"{company.name} (CUI {company.cui}) a acceptat colaborarea."),
                    en=("Invitation accepted", f"{company.name} (CUI {company.cui}) accepted the collaboration."))
    return Text(ro=("Invitație refuzată", f"{company.name} (CUI {company.cui}) a refuzat colaborarea."),
                en=("Invitation declined", f"{company.name} (CUI {company.cui}) declined the collaboration."))


def declined_by_link(company_name: str, cui: str) -> Text:
    """To the firm, when the invitee declines from the e-mailed link (no account needed)."""
    return Text(ro=("Invitație refuzată", f"{company_name} (CUI {cui}) a refuzat invitația din linkul primit pe e-mail."),
                en=("Invitation declined", f"{company_name} (CUI {cui}) declined the invitation from the e-mailed link."))
