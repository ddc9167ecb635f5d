import { useEffect, type ReactNode } from "react";
import { Navigate, NavLink, Route, Routes, useLocation, useNavigate } from "react-router";
import { useMutation, useQuery } from "urql";
import { Bell } from "./Bell";
import { CompanyProvider, useCompanies } from "./company";
import { I18nProvider, useI18n, useLangState } from "./i18n";
import { MeQuery, SignOutMutation } from "./operations";
import { SessionProvider, useSession } from "./session";
import { CompaniesPage } from "./pages/Companies";
import { EfacturaPage } from "./pages/Efactura";
import { HomePage } from "./pages/Home";
import { InvitationsPage } from "./pages/Invitations";
import { InviteGridPage } from "./pages/InviteGrid";
import { InviteLinkPage } from "./pages/InviteLink";
import { NotificationsPage } from "./pages/Notifications";
import { SignInPage, SignUpPage } from "./pages/Auth";

export function App() {
  const [lang, setLang] = useLangState();
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  return (
    <I18nProvider lang={lang} setLang={setLang}>
      <SessionProvider lang={lang}>
        <Shell />
      </SessionProvider>
    </I18nProvider>
  );
}

function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <button type="button" className="link-button lang-switch" lang={lang === "ro" ? "en" : "ro"} aria-label={t("switchToLabel")} onClick={() => setLang(lang === "ro" ? "en" : "ro")}>
      {t("switchTo")}
    </button>
  );
}

function Shell() {
  const { token } = useSession();
  const location = useLocation();
  const next = encodeURIComponent(location.pathname + location.search);
  return (
    <Routes>
      <Route path="/invite/:token" element={token ? <SignedIn><InviteLinkPage /></SignedIn> : <Public><InviteLinkPage /></Public>} />
      <Route path="/signin" element={token ? <AfterSignIn /> : <Public><SignInPage /></Public>} />
      <Route path="/signup" element={token ? <AfterSignIn /> : <Public><SignUpPage /></Public>} />
      <Route path="*" element={token ? <SignedIn><SignedInRoutes /></SignedIn> : <Navigate to={`/signin?next=${next}`} replace />} />
    </Routes>
  );
}

function AfterSignIn() {
  const location = useLocation();
  const next = new URLSearchParams(location.search).get("next");
  return <Navigate to={next && next.startsWith("/") && !next.startsWith("//") ? next : "/"} replace />;
}

function SignedInRoutes() {
  const { t } = useI18n();
  return (
    <Routes>
      <Route path="/" element={<HomePage />} />
      <Route path="/integrations" element={<Navigate to="/integrations/efactura" replace />} />
      <Route path="/integrations/efactura" element={<EfacturaPage />} />
      <Route path="/companies" element={<CompaniesPage />} />
      <Route path="/companies/invite" element={<InviteGridPage />} />
      <Route path="/invitations" element={<InvitationsPage />} />
      <Route path="/notifications" element={<NotificationsPage />} />
      <Route path="*" element={<p>{t("notFound")}</p>} />
    </Routes>
  );
}

function Public({ children }: { children: ReactNode }) {
  const { t } = useI18n();
  return (
    <>
      <a href="#main" className="skip-link">
        {t("appName")}
      </a>
      <header className="topbar">
        <span className="brand">{t("appName")}</span>
        <div className="topbar-actions">
          <LanguageSwitch />
        </div>
      </header>
      <main id="main" className="content narrow">
        {children}
      </main>
    </>
  );
}

function SignedIn({ children }: { children: ReactNode }) {
  const { signOut } = useSession();
  const [{ data, fetching }] = useQuery({ query: MeQuery });
  useEffect(() => {
    if (!fetching && data && data.me === null) signOut(); // the session ended (signed out elsewhere, or expired)
  }, [data, fetching, signOut]);
  return (
    <CompanyProvider>
      <SignedInLayout name={data?.me?.name ?? ""}>{children}</SignedInLayout>
    </CompanyProvider>
  );
}

function SignedInLayout({ name, children }: { name: string; children: ReactNode }) {
  const { t } = useI18n();
  const { signOut } = useSession();
  const navigate = useNavigate();
  const { own, current, select } = useCompanies();
  const [, signOutMutation] = useMutation(SignOutMutation);
  const firm = current?.company.providesAccountingServices;
  const leave = async () => {
    await signOutMutation({});
    signOut();
    navigate("/signin");
  };
  return (
    <>
      <a href="#main" className="skip-link">
        {t("appName")}
      </a>
      <header className="topbar">
        <NavLink to="/" className="brand">
          {t("appName")}
        </NavLink>
        <div className="topbar-actions">
          {own.length > 1 ? (
            <label className="company-select">
              <span className="visually-hidden">{t("currentCompany")}</span>
              <select value={current?.company.id} onChange={(e) => select(e.target.value)}>
                {own.map((e) => (
                  <option key={e.company.id} value={e.company.id}>
                    {e.company.name}
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          <Bell />
          <LanguageSwitch />
          <button type="button" className="link-button" onClick={leave} title={name}>
            {t("signOut")}
          </button>
        </div>
      </header>
      <nav aria-label={t("mainNav")} className="mainnav">
        <NavLink to="/" end>
          {t("navHome")}
        </NavLink>
        <NavLink to="/integrations/efactura">{t("navIntegrations")}</NavLink>
        <NavLink to="/companies" end>
          {t("navCompanies")}
        </NavLink>
        {firm ? <NavLink to="/companies/invite">{t("navInvite")}</NavLink> : null}
        {firm ? <NavLink to="/invitations">{t("navInvitations")}</NavLink> : null}
      </nav>
      <main id="main" className="content">
        {children}
      </main>
    </>
  );
}
