import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";

export type Lang = "ro" | "en";

// Romanian first; every key has both languages. `{name}` placeholders are filled by t(key, {name}).
const texts = {
  appName: ["Portofoliu", "Portofoliu"],
  language: ["Limba", "Language"],
  switchTo: ["English", "Română"],
  switchToLabel: ["Switch to English", "Schimbă în română"],
  mainNav: ["Meniu principal", "Main menu"],
  navHome: ["Acasă", "Home"],
  navIntegrations: ["Integrări", "Integrations"],
  navCompanies: ["Administrare companii", "Manage companies"],
  navInvite: ["Adaugă companiile", "Add the companies"],
  navInvitations: ["Invitații", "Invitations"],
  signOut: ["Ieșire", "Sign out"],
  loading: ["Se încarcă…", "Loading…"],
  // accounts
  signInTitle: ["Autentificare", "Sign in"],
  signUpTitle: ["Creează cont", "Create an account"],
  email: ["E-mail", "E-mail"],
  password: ["Parolă", "Password"],
  passwordHint: ["Cel puțin 10 caractere.", "At least 10 characters."],
  fullName: ["Nume și prenume", "Full name"],
  phone: ["Telefon", "Phone"],
  signInButton: ["Intră în cont", "Sign in"],
  signUpButton: ["Creează contul", "Create the account"],
  noAccount: ["Nu aveți cont?", "No account yet?"],
  haveAccount: ["Aveți deja cont?", "Already have an account?"],
  // company
  addCompanyTitle: ["Adaugă firma", "Add your company"],
  addCompanyIntro: ["Introduceți CUI-ul firmei; denumirea și adresa vin de la ANAF.", "Enter the company's CUI; its name and address come from ANAF."],
  cui: ["CUI", "CUI"],
  providesAccounting: ["Firma oferă servicii de contabilitate", "The company provides accounting services"],
  addCompanyButton: ["Adaugă firma", "Add the company"],
  currentCompany: ["Compania", "Company"],
  // checklist
  checklistTitle: ["Ceva nu funcționează?", "Something not working?"],
  checklistIntro: ["Ce mai trebuie făcut înainte de a descoperi și invita clienții:", "What is left before discovering and inviting your clients:"],
  checklistReady: ["Totul este pregătit: puteți descoperi și invita clienții.", "All set: you can discover and invite your clients."],
  checkAccounting: ["Servicii de contabilitate activate", "Accounting services enabled"],
  checkEfactura: ["RO e-Factura activă", "RO e-Factura active"],
  enableAccounting: ["Activează serviciile de contabilitate", "Enable accounting services"],
  goEfactura: ["Mergi la Integrări → RO e-Factura", "Go to Integrations → RO e-Factura"],
  goCompanies: ["Mergi la Administrare companii", "Go to Manage companies"],
  done: ["Gata", "Done"],
  todo: ["De făcut", "To do"],
  // e-Factura
  efacturaTitle: ["RO e-Factura", "RO e-Factura"],
  efacturaIntro: ["Autorizați o dată, la ANAF, cu certificatul calificat (token USB) al contabilului.", "Authorize once, at ANAF, with the accountant's qualified certificate (USB token)."],
  activate: ["Activare", "Activate"],
  configureTitle: ["Configurare integrare", "Configure the integration"],
  configureSteps: ["Introduceți tokenul USB în acest calculator. Veți fi trimis la ANAF, unde alegeți certificatul și introduceți PIN-ul; apoi reveniți aici.", "Plug the USB token into this computer. You will be sent to ANAF to choose the certificate and type its PIN; then you come back here."],
  continueToAnaf: ["Continuă la ANAF", "Continue to ANAF"],
  cancel: ["Renunță", "Cancel"],
  disconnect: ["Deconectează", "Disconnect"],
  reauthorize: ["Autorizează din nou", "Authorize again"],
  status: ["Stare", "Status"],
  efacturaSuccess: ["Integrarea RO e-Factura a fost activată cu succes.", "RO e-Factura was activated successfully."],
  efacturaFailed: ["Autorizarea la ANAF nu a reușit.", "The authorization at ANAF did not succeed."],
  reason_access_denied: ["ANAF nu a dat acordul (autorizare anulată, PIN greșit sau certificat fără drepturi).", "ANAF did not grant it (cancelled, wrong PIN or a certificate without rights)."],
  reason_INVALID_STATE: ["Linkul de autorizare a expirat sau a fost deja folosit. Porniți din nou.", "The authorization link expired or was already used. Start again."],
  reason_EFACTURA_AUTHORIZATION_FAILED: ["ANAF nu a acceptat autorizarea. Verificați certificatul și PIN-ul.", "ANAF did not accept the authorization. Check the certificate and PIN."],
  reason_ANAF_UNAVAILABLE: ["ANAF nu răspunde acum. Încercați din nou în câteva minute.", "ANAF is not answering now. Try again in a few minutes."],
  reason_other: ["Motiv: {reason}", "Reason: {reason}"],
  reason_NO_EFACTURA_RIGHTS: ["Certificatul folosit nu are drepturi în SPV pentru această firmă, deci nu poate autoriza RO e-Factura pentru ea.", "The certificate used has no SPV rights for this company, so it cannot authorize RO e-Factura for it."],
  noRightsFor: ["Certificatul folosit nu are drepturi în SPV (Spațiul Privat Virtual ANAF) pentru CUI {cui} ({name}), deci nu poate autoriza RO e-Factura pentru această firmă.", "The certificate used has no rights in SPV (ANAF's Virtual Private Space) for CUI {cui} ({name}), so it cannot authorize RO e-Factura for this company."],
  noRightsWhat: ["Ce puteți face:", "What you can do:"],
  noRightsOtherCertificate: ["Autorizați din nou cu certificatul unei persoane care are drepturi în SPV pentru această firmă (de exemplu al administratorului ei).", "Authorize again with the certificate of a person who has SPV rights for this company (for example its administrator's)."],
  noRightsAskAnaf: ["Sau cereți la ANAF drepturi în SPV pentru acest certificat pe CUI-ul firmei, apoi autorizați din nou.", "Or ask ANAF for SPV rights for this certificate on the company's CUI, then authorize again."],
  certificateSerial: ["Serie certificat", "Certificate serial"],
  authorizedAt: ["Autorizat la", "Authorized at"],
  authorizedBy: ["Autorizat de", "Authorized by"],
  accessExpiresAt: ["Tokenul de acces expiră", "Access token expires"],
  refreshExpiresAt: ["Autorizarea expiră", "Authorization expires"],
  expiryWarning: ["Autorizarea expiră în {days} zile. Autorizați din nou ca să nu se întrerupă integrarea.", "The authorization ends in {days} days. Authorize again so the integration is not interrupted."],
  lastError: ["Ultima problemă", "Last problem"],
  st_NOT_CONFIGURED: ["Neconfigurată", "Not configured"],
  st_PENDING: ["În așteptare", "Pending"],
  st_ACTIVE: ["Activă", "Active"],
  st_EXPIRED: ["Expirată", "Expired"],
  st_ERROR: ["Eroare", "Error"],
  onlyManagers: ["Doar proprietarii și administratorii firmei pot activa integrarea.", "Only the company's owners and administrators can activate it."],
  // companies & portfolio
  ownCompanies: ["Companiile mele", "My companies"],
  collaborating: ["Companii colaboratoare", "Collaborating companies"],
  rel_OWN: ["Proprie", "Own"],
  ver_VERIFIED_BY_EFACTURA: ["Verificată prin RO e-Factura", "Verified by RO e-Factura"],
  ver_VERIFIED_BY_INVITATION: ["Verificată prin invitație", "Verified by invitation"],
  ver_UNVERIFIED: ["Neverificată", "Unverified"],
  verificationOf: ["Dovada că reprezentați firma", "Proof that you represent the company"],
  unverifiedExplain: ["Nu ați dovedit încă faptul că reprezentați această firmă, așa că nu primiți și nu răspundeți la cereri de colaborare pentru ea. Dovada este una dintre: autorizarea RO e-Factura pentru ea, cu un certificat care are drepturi în SPV pe CUI-ul ei, sau linkul de invitație trimis de contabilul dvs. pe e-mail.", "You have not yet proven that you represent this company, so you neither receive nor answer collaboration requests for it. Either of these proves it: authorizing RO e-Factura for it, with a certificate that has SPV rights on its CUI, or the invitation link your accountant sent you by e-mail."],
  howToProve: ["Cum dovediți că reprezentați firma", "How to prove you represent the company"],
  authorizeFor: ["Autorizează RO e-Factura pentru {name}", "Authorize RO e-Factura for {name}"],
  claimantsTitle: ["Revendicări neverificate", "Unverified claims"],
  claimantsIntro: ["Aceste conturi au înregistrat firma fără să dovedească că o reprezintă. Nu văd nimic din ea; le puteți elimina.", "These accounts registered the company without proving they represent it. They see nothing of it; you can remove them."],
  claimantSince: ["a înregistrat-o la {date}", "registered it on {date}"],
  removeClaimant: ["Elimină", "Remove"],
  removeClaimantLabel: ["Elimină revendicarea lui {name}", "Remove {name}'s claim"],
  removeClaimantConfirm: ["Eliminați revendicarea lui {name} ({email})? Contul nu va mai putea înregistra această firmă.", "Remove the claim of {name} ({email})? The account will no longer be able to register this company."],
  removeClaimantYes: ["Da, elimină", "Yes, remove"],
  claimantRemoved: ["Revendicarea lui {name} a fost eliminată.", "{name}'s claim was removed."],
  membersMayInvite: ["Membrii pot trimite invitații", "Members may send invitations"],
  membersMayInviteHint: ["Când este oprit, doar proprietarii și administratorii trimit, retrimit și retrag invitații.", "When off, only owners and administrators send, resend and revoke invitations."],
  membersMayInviteOn: ["Membrii firmei pot acum trimite, retrimite și retrage invitații.", "The company's members can now send, resend and revoke invitations."],
  membersMayInviteOff: ["Doar proprietarii și administratorii mai pot trimite, retrimite și retrage invitații.", "Only owners and administrators can now send, resend and revoke invitations."],
  settingOnlyManagers: ["Doar proprietarii și administratorii firmei pot schimba această setare.", "Only the company's owners and administrators can change this setting."],
  inviteForbidden: ["Nu puteți trimite, retrimite sau retrage invitații pentru această firmă: o pot face proprietarii și administratorii ei. Cereți-le să o facă ei sau să permită membrilor să trimită invitații (Administrare companii → „Membrii pot trimite invitații”).", "You cannot send, resend or revoke invitations for this company: its owners and administrators can. Ask them to do it, or to let members send invitations (Manage companies → \"Members may send invitations\")."],
  rel_CLIENT: ["Client", "Client"],
  rel_ACCOUNTANT: ["Firmă de contabilitate", "Accounting firm"],
  via: ["prin {name}", "via {name}"],
  since: ["din {date}", "since {date}"],
  noCollaborations: ["Încă nicio colaborare.", "No collaborations yet."],
  portfolio: ["Portofoliu", "Portfolio"],
  entitiesFound: ["{n} entități găsite", "{n} entities found"],
  entitiesFoundNew: ["{n} entități găsite, {new} noi", "{n} entities found, {new} new"],
  discover: ["Descoperă clienții", "Discover clients"],
  discoverAgain: ["Caută din nou", "Search again"],
  discoveryRunning: ["Căutare în curs: {checked} din {total} verificate, {found} găsite", "Searching: {checked} of {total} checked, {found} found"],
  discoveryFailed: ["Căutarea nu a reușit: {error}", "The search failed: {error}"],
  discoveryPartial: ["Căutarea s-a încheiat parțial: {error}", "The search ended partially: {error}"],
  search: ["Caută după nume sau CUI", "Search by name or CUI"],
  statusFilter: ["Stare", "Status"],
  all: ["Toate", "All"],
  name: ["Denumire", "Name"],
  sources: ["Surse", "Sources"],
  address: ["Adresă", "Address"],
  new: ["nou", "new"],
  rightsLost: ["drepturi retrase", "rights withdrawn"],
  previous: ["Înapoi", "Previous"],
  next: ["Înainte", "Next"],
  pageOf: ["{from}–{to} din {total}", "{from}–{to} of {total}"],
  noEntries: ["Nicio companie.", "No companies."],
  addByCui: ["Adaugă CUI-uri manual", "Add CUIs by hand"],
  addByCuiHint: ["Separați cu virgulă sau spațiu; fiecare e verificat la ANAF.", "Separate with commas or spaces; each is checked at ANAF."],
  addButton: ["Adaugă", "Add"],
  added: ["{n} adăugate.", "{n} added."],
  ps_DISCOVERED: ["Descoperită", "Discovered"],
  ps_INVITED: ["Invitată", "Invited"],
  ps_ACCOUNT_CREATED: ["Cont creat", "Account created"],
  ps_COLLABORATING: ["Colaborare", "Collaborating"],
  ps_DECLINED: ["Refuzată", "Declined"],
  ps_EXPIRED: ["Expirată", "Expired"],
  ps_REVOKED: ["Retrasă", "Revoked"],
  src_EFACTURA: ["e-Factura", "e-Factura"],
  src_SPV: ["SPV", "SPV"],
  src_MANUAL: ["Manual", "Manual"],
  src_INVOICED: ["Facturat", "Invoiced"],
  src_IMPORT: ["Import", "Import"],
  notAccountingFirm: ["Portofoliul este pentru firmele care oferă servicii de contabilitate.", "The portfolio is for companies that provide accounting services."],
  // invite grid
  inviteTitle: ["Adaugă companiile", "Add the companies"],
  inviteIntro: ["Completați reprezentantul, e-mailul și telefonul pentru companiile pe care le invitați. Rândurile fără e-mail nu se trimit.", "Fill in the representative, e-mail and phone of the companies you invite. Rows without an e-mail are not sent."],
  representative: ["Reprezentant", "Representative"],
  message: ["Mesaj (opțional)", "Message (optional)"],
  sendInvitation: ["Trimite invitație", "Send invitation"],
  sentCount: ["{n} invitații trimise.", "{n} invitations sent."],
  sentOne: ["O invitație trimisă.", "One invitation sent."],
  rowErrors: ["{n} rânduri au erori; corectați-le și trimiteți din nou.", "{n} rows have errors; correct them and send again."],
  rowErrorsOne: ["Un rând are erori; corectați-l și trimiteți din nou.", "One row has errors; correct it and send again."],
  nothingToSend: ["Completați cel puțin un rând.", "Fill in at least one row."],
  nothingToInvite: ["Nicio companie de invitat. Descoperiți întâi portofoliul.", "No company to invite. Discover the portfolio first."],
  forCompany: ["pentru {name}", "for {name}"],
  importTitle: ["Importă lista de clienți", "Import your client list"],
  importIntro: ["Un fișier CSV sau Excel (XLSX) cu CUI și, dacă le aveți, denumirea, reprezentantul, e-mailul și telefonul: completează rândurile de mai jos. CUI-urile noi se verifică la ANAF.", "A CSV or Excel (XLSX) file with the CUI and, where you have them, the name, representative, e-mail and phone: they fill in the rows below. New CUIs are checked at ANAF."],
  importFile: ["Fișierul", "The file"],
  importButton: ["Importă", "Import"],
  importDone: ["Rânduri citite: {rows}; CUI-uri preluate: {imported}; în verificare la ANAF: {verifying}.", "Rows read: {rows}; CUIs taken: {imported}; being checked at ANAF: {verifying}."],
  importColumns: ["Coloane recunoscute: {columns}.", "Columns recognised: {columns}."],
  importRow: ["Rândul {row}", "Row {row}"],
  // invitations
  invitationsTitle: ["Invitații", "Invitations"],
  sentAt: ["Trimisă", "Sent"],
  expiresAt: ["Expiră", "Expires"],
  actions: ["Acțiuni", "Actions"],
  resend: ["Retrimite", "Resend"],
  resent: ["Invitația pentru {name} a fost retrimisă, cu un link nou.", "The invitation for {name} was sent again, with a new link."],
  revoked: ["Invitația pentru {name} a fost retrasă.", "The invitation for {name} was withdrawn."],
  revoke: ["Retrage", "Revoke"],
  is_PENDING: ["Trimisă", "Sent"],
  is_ACCOUNT_CREATED: ["Cont creat", "Account created"],
  is_ACCEPTED: ["Acceptată", "Accepted"],
  is_DECLINED: ["Refuzată", "Declined"],
  is_EXPIRED: ["Expirată", "Expired"],
  is_REVOKED: ["Retrasă", "Revoked"],
  noInvitations: ["Nicio invitație încă.", "No invitations yet."],
  loadMore: ["Mai multe", "More"],
  // bell
  bell: ["Notificări", "Notifications"],
  bellUnread: ["Notificări, {n} necitite", "Notifications, {n} unread"],
  markAllRead: ["Marchează toate ca citite", "Mark all read"],
  noNotifications: ["Nicio notificare.", "No notifications."],
  collaborationRequests: ["Cereri de colaborare", "Collaboration requests"],
  noRequests: ["Nicio cerere în așteptare.", "No request waiting."],
  accept: ["Acceptă", "Accept"],
  decline: ["Refuză", "Decline"],
  close: ["Închide", "Close"],
  // invitation link page
  inviteLinkTitle: ["Invitație de colaborare", "Collaboration invitation"],
  inviteFrom: ["{firm} vă invită să colaborați în Portofoliu pentru {company} (CUI {cui}).", "{firm} invites you to collaborate on Portofoliu for {company} (CUI {cui})."],
  inviteValidUntil: ["Linkul este valabil până la {date}.", "The link works until {date}."],
  invitedCompany: ["Compania", "Company"],
  phoneFromInvitation: ["Gol: numărul din invitație.", "Empty: the number in the invitation."],
  invitationDetails: ["Detaliile invitației", "Invitation details"],
  createAccountTitle: ["Creați-vă contul", "Create your account"],
  accountExistsTitle: ["Aveți deja cont cu {email}", "You already have an account with {email}"],
  accountExistsIntro: ["Autentificați-vă, apoi preluați invitația.", "Sign in, then take the invitation."],
  signInAndClaim: ["Autentificare și preluare", "Sign in and take it"],
  claim: ["Preia invitația", "Take the invitation"],
  signedInAs: ["Sunteți autentificat ca {email}.", "You are signed in as {email}."],
  declineTitle: ["Nu doriți să colaborați?", "Do not want to collaborate?"],
  declineButton: ["Refuză invitația", "Decline the invitation"],
  declined: ["Ați refuzat invitația. Firma de contabilitate a fost anunțată.", "You declined the invitation. The accounting firm has been told."],
  claimed: ["Invitația este în contul dvs. Acceptați-o din clopoțel.", "The invitation is in your account. Accept it from the bell."],
  welcomeAccept: ["Contul a fost creat. Acceptați colaborarea din clopoțel.", "Your account was created. Accept the collaboration from the bell."],
  link_unknown: ["Linkul de invitație nu este valid. Verificați că a fost copiat complet.", "This invitation link is not valid. Check that it was copied whole."],
  link_EXPIRED: ["Invitația a expirat. Cereți firmei de contabilitate să trimită una nouă.", "This invitation has expired. Ask your accounting firm to send a new one."],
  link_REVOKED: ["Firma de contabilitate a retras această invitație.", "The accounting firm has withdrawn this invitation."],
  link_ACCOUNT_CREATED: ["Această invitație a fost deja folosită. Autentificați-vă pentru a răspunde din clopoțel.", "This invitation has already been used. Sign in to answer it from the bell."],
  link_ACCEPTED: ["Această invitație a fost deja acceptată.", "This invitation has already been accepted."],
  link_DECLINED: ["Această invitație a fost refuzată.", "This invitation was declined."],
  goSignIn: ["Mergi la autentificare", "Go to sign in"],
  notFound: ["Pagina nu există.", "This page does not exist."],
  errorGeneric: ["Ceva nu a mers. Încercați din nou.", "Something went wrong. Try again."],
  needCompany: ["Adăugați întâi firma.", "Add your company first."],
} as const;

export type TextKey = keyof typeof texts;

type I18n = { lang: Lang; setLang: (lang: Lang) => void; t: (key: TextKey, params?: Record<string, string | number>) => string; fmtDate: (iso: string | null | undefined) => string };

const I18nContext = createContext<I18n | null>(null);

export function initialLang(): Lang {
  const stored = localStorage.getItem("portofoliu.lang");
  if (stored === "ro" || stored === "en") return stored;
  return "ro";
}

export function I18nProvider({ lang, setLang, children }: { lang: Lang; setLang: (l: Lang) => void; children: ReactNode }) {
  const t = useCallback(
    (key: TextKey, params?: Record<string, string | number>) => {
      let text: string = texts[key][lang === "ro" ? 0 : 1];
      for (const [name, value] of Object.entries(params ?? {})) text = text.replaceAll(`{${name}}`, String(value));
      return text;
    },
    [lang],
  );
  const fmtDate = useCallback(
    (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString(lang === "ro" ? "ro-RO" : "en-GB", { dateStyle: "medium", timeStyle: "short" }) : "—"),
    [lang],
  );
  const value = useMemo(() => ({ lang, setLang, t, fmtDate }), [lang, setLang, t, fmtDate]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const ctx = useContext(I18nContext);
  if (!ctx) throw new Error("useI18n outside I18nProvider");
  return ctx;
}

export function hasText(key: string): key is TextKey {
  return key in texts;
}

export function useLangState(): [Lang, (l: Lang) => void] {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const setLang = useCallback((l: Lang) => {
    localStorage.setItem("portofoliu.lang", l);
    document.documentElement.lang = l;
    setLangState(l);
  }, []);
  return [lang, setLang];
}
