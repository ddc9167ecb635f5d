import { useEffect, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useMutation, useQuery, useSubscription } from "urql";
import { isVerified, useCompanies, VerificationBadge, type CompanyEdge } from "../company";
import { useI18n } from "../i18n";
import type { DiscoveryRun, PortfolioStatus } from "../gql/graphql";
import {
  AddCompaniesMutation,
  CompanyClaimantsQuery,
  DiscoverySubscription,
  InvitationUpdatedSubscription,
  PortfolioQuery,
  PortfolioSummaryQuery,
  RemoveClaimantMutation,
  SetMembersMayInviteMutation,
  StartDiscoveryMutation,
} from "../operations";
import { Alert, ErrorList, Field, PageTitle, type UserErrorLike } from "../ui";

const PAGE = 20;
const STATUSES: PortfolioStatus[] = ["DISCOVERED", "INVITED", "ACCOUNT_CREATED", "COLLABORATING", "DECLINED", "EXPIRED", "REVOKED"];

/** Administrare companii: own and collaborating companies, then the firm's portfolio. */
export function CompaniesPage() {
  const { t } = useI18n();
  const { edges, current, fetching } = useCompanies();
  if (fetching) return <p>{t("loading")}</p>;
  const own = edges.filter((e) => e.relationship === "OWN");
  const others = edges.filter((e) => e.relationship !== "OWN");
  return (
    <>
      <PageTitle>{t("navCompanies")}</PageTitle>
      <section aria-labelledby="own-title">
        <h2 id="own-title">{t("ownCompanies")}</h2>
        <ul className="company-list own-companies" data-testid="own-companies">
          {own.map((e) => (
            <OwnCompany key={e.company.id} edge={e} />
          ))}
        </ul>
      </section>
      <section aria-labelledby="collab-title">
        <h2 id="collab-title">{t("collaborating")}</h2>
        {others.length ? <CompanyList edges={others} /> : <p>{t("noCollaborations")}</p>}
      </section>
      {current?.company.providesAccountingServices ? <Portfolio companyId={current.company.id} /> : current ? <p className="muted">{t("notAccountingFirm")}</p> : null}
    </>
  );
}

function CompanyList({ edges }: { edges: CompanyEdge[] }) {
  const { t, fmtDate } = useI18n();
  return (
    <ul className="company-list" data-testid="company-list">
      {edges.map((e) => (
        <li key={`${e.relationship}-${e.company.id}`}>
          <strong>{e.company.name}</strong> <span className="muted">CUI {e.company.cui}</span> <span className="pill">{t(`rel_${e.relationship}`)}</span>
          {e.via ? <span className="muted"> {t("via", { name: e.via.name })}</span> : null}
          {e.since && e.relationship !== "OWN" ? <span className="muted"> · {t("since", { date: fmtDate(e.since) })}</span> : null}
        </li>
      ))}
    </ul>
  );
}

/** One of the viewer's own companies: how their ownership is proven, and (verified) its administration. */
function OwnCompany({ edge }: { edge: CompanyEdge }) {
  const { t } = useI18n();
  const { company } = edge;
  const verified = isVerified(company.verification);
  const headingId = `company-${company.id}-name`;
  return (
    <li data-company={company.id} data-cui={company.cui}>
      <div className="company-head">
        <strong id={headingId}>{company.name}</strong> <span className="muted">CUI {company.cui}</span> <span className="pill">{t("rel_OWN")}</span>{" "}
        <VerificationBadge verification={company.verification} />
      </div>
      {verified ? (
        <CompanyAdministration companyId={company.id} companyName={company.name} firm={company.providesAccountingServices} membersMayInvite={company.membersMayInvite} />
      ) : (
        <div className="unverified">
          <p>{t("unverifiedExplain")}</p>
          <Link to={`/integrations/efactura?companyId=${encodeURIComponent(company.id)}`}>{t("authorizeFor", { name: company.name })}</Link>
        </div>
      )}
    </li>
  );
}

type Claimant = { user: { id: string; name: string; email: string }; since: string };

/** For a company the viewer is verified for: unverified claimants (shown to owners and administrators
 * only; removed after a confirmation) and, for an accounting firm, whether members may invite. */
function CompanyAdministration({ companyId, companyName, firm, membersMayInvite }: { companyId: string; companyName: string; firm: boolean; membersMayInvite: boolean }) {
  const { t, fmtDate } = useI18n();
  const [{ data }, refetch] = useQuery({ query: CompanyClaimantsQuery, variables: { companyId } });
  const [, remove] = useMutation(RemoveClaimantMutation);
  const [{ fetching: saving }, setMayInvite] = useMutation(SetMembersMayInviteMutation);
  const [confirming, setConfirming] = useState<Claimant | null>(null);
  const [refocus, setRefocus] = useState<string | null>(null); // after "Renunță", the focus goes back to its "Elimină"
  useEffect(() => {
    if (refocus) document.getElementById(refocus)?.focus();
    setRefocus(null);
  }, [refocus]);
  const cancelRemove = () => {
    if (confirming) setRefocus(`remove-claimant-${companyId}-${confirming.user.id}`);
    setConfirming(null);
  };
  const [notice, setNotice] = useState<string | null>(null);
  const [errors, setErrors] = useState<UserErrorLike[]>([]);
  const [removing, setRemoving] = useState(false);
  const [mayInvite, setMayInviteShown] = useState(membersMayInvite); // moves at once; back if the change is refused
  useEffect(() => setMayInviteShown(membersMayInvite), [membersMayInvite]);
  const claimants = data?.company?.claimants ?? [];
  const toggleId = `members-may-invite-${companyId}`;
  const titleId = `claimants-${companyId}`;

  const failure = (error: { graphQLErrors: readonly { extensions?: Record<string, unknown>; message: string }[] } | undefined, forbidden: string) => {
    const first = error?.graphQLErrors[0];
    return [{ code: "ERROR", message: first?.extensions?.code === "FORBIDDEN" ? forbidden : t("errorGeneric") }];
  };
  const confirmRemove = async () => {
    if (!confirming) return;
    setRemoving(true);
    setErrors([]);
    const result = await remove({ companyId, userId: confirming.user.id });
    setRemoving(false);
    const payload = result.data?.removeCompanyClaimant;
    if (payload && !payload.errors.length) setNotice(t("claimantRemoved", { name: confirming.user.name }));
    else setErrors(payload?.errors.length ? payload.errors : failure(result.error, t("settingOnlyManagers")));
    setConfirming(null);
    refetch({ requestPolicy: "network-only" });
  };
  const toggle = async (enabled: boolean) => {
    setErrors([]);
    setNotice(null);
    setMayInviteShown(enabled);
    const result = await setMayInvite({ companyId, enabled });
    const payload = result.data?.setMembersMayInvite;
    if (payload?.company && !payload.errors.length) setNotice(t(payload.company.membersMayInvite ? "membersMayInviteOn" : "membersMayInviteOff"));
    else {
      setMayInviteShown(!enabled);
      setErrors(payload?.errors.length ? payload.errors : failure(result.error, t("settingOnlyManagers")));
    }
  };

  return (
    <div className="company-admin">
      {notice ? <Alert kind="success">{notice}</Alert> : null}
      <ErrorList errors={errors} />
      {firm ? (
        <div className="checkbox switch">
          <input id={toggleId} type="checkbox" role="switch" checked={mayInvite} aria-busy={saving || undefined} aria-describedby={`${toggleId}-hint`} onChange={(e) => toggle(e.target.checked)} />
          <label htmlFor={toggleId}>{t("membersMayInvite")}</label>
          <small id={`${toggleId}-hint`} className="hint">
            {t("membersMayInviteHint")}
          </small>
        </div>
      ) : null}
      {claimants.length ? (
        <section aria-labelledby={titleId} className="claimants">
          <h3 id={titleId}>
            {t("claimantsTitle")} <span className="muted">· {companyName}</span>
          </h3>
          <p className="muted">{t("claimantsIntro")}</p>
          <ul>
            {claimants.map((c) => (
              <li key={c.user.id} data-claimant={c.user.id}>
                <span>
                  <strong>{c.user.name}</strong> <span className="muted">{c.user.email}</span>
                  <span className="muted small"> · {t("claimantSince", { date: fmtDate(c.since) })}</span>
                </span>
                {confirming?.user.id === c.user.id ? (
                  <div className="card inset confirm" role="group" aria-label={t("removeClaimantLabel", { name: c.user.name })} onKeyDown={(e) => e.key === "Escape" && cancelRemove()}>
                    <p>{t("removeClaimantConfirm", { name: c.user.name, email: c.user.email })}</p>
                    <div className="row-actions">
                      <button type="button" className="danger" onClick={confirmRemove} disabled={removing} autoFocus>
                        {t("removeClaimantYes")}
                      </button>
                      <button type="button" onClick={cancelRemove}>
                        {t("cancel")}
                      </button>
                    </div>
                  </div>
                ) : (
                  <button type="button" id={`remove-claimant-${companyId}-${c.user.id}`} className="danger" aria-label={t("removeClaimantLabel", { name: c.user.name })} onClick={() => { setNotice(null); setConfirming(c); }}>
                    {t("removeClaimant")}
                  </button>
                )}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </div>
  );
}

function DiscoveryNotice({ run }: { run: Pick<DiscoveryRun, "status" | "total" | "checked" | "found" | "newCount" | "error"> }) {
  const { t } = useI18n();
  if (run.status === "RUNNING")
    return (
      <div role="status" className="progress-box">
        <p>{t("discoveryRunning", { checked: run.checked, total: run.total, found: run.found })}</p>
        <progress max={Math.max(run.total, 1)} value={run.checked} aria-label={t("discoveryRunning", { checked: run.checked, total: run.total, found: run.found })} />
      </div>
    );
  if (run.status === "FAILED") return <Alert kind="error">{t("discoveryFailed", { error: run.error ?? "" })}</Alert>;
  const found = run.newCount ? t("entitiesFoundNew", { n: run.found, new: run.newCount }) : t("entitiesFound", { n: run.found });
  return (
    <>
      <Alert kind={run.status === "PARTIAL" ? "warning" : "success"}>
        <span data-testid="entities-found">{found}</span>
      </Alert>
      {run.status === "PARTIAL" ? <Alert kind="warning">{t("discoveryPartial", { error: run.error ?? "" })}</Alert> : null}
    </>
  );
}

function Portfolio({ companyId }: { companyId: string }) {
  const { t } = useI18n();
  const [search, setSearch] = useState("");
  const [status, setStatus] = useState<PortfolioStatus | "">("");
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [errors, setErrors] = useState<UserErrorLike[]>([]);
  const after = cursors[cursors.length - 1];
  const [{ data }, refetch] = useQuery({
    query: PortfolioQuery,
    variables: { companyId, search: search || null, status: status || null, first: PAGE, after },
  });
  const [{ data: summary }, refetchSummary] = useQuery({ query: PortfolioSummaryQuery, variables: { companyId } });
  const [{ data: live }] = useSubscription({ query: DiscoverySubscription, variables: { companyId } });
  const [{ data: invitationEvent }] = useSubscription({ query: InvitationUpdatedSubscription, variables: { companyId } });
  const [{ fetching: starting }, start] = useMutation(StartDiscoveryMutation);
  const run = live?.discoveryProgress ?? summary?.latestDiscoveryRun ?? null;

  // The table and counts follow the live run (each step may add entries) and the invitations.
  useEffect(() => {
    if (live || invitationEvent) {
      refetch({ requestPolicy: "network-only" });
      refetchSummary({ requestPolicy: "network-only" });
    }
  }, [live, invitationEvent, refetch, refetchSummary]);
  useEffect(() => setCursors([null]), [search, status, companyId]);

  const discover = async () => {
    setErrors([]);
    const result = await start({ companyId });
    setErrors(result.data?.startPortfolioDiscovery.errors ?? []);
    refetchSummary({ requestPolicy: "network-only" });
  };
  const conn = data?.portfolio;
  const page = cursors.length - 1;
  const from = conn && conn.edges.length ? page * PAGE + 1 : 0;
  return (
    <section aria-labelledby="portfolio-title">
      <h2 id="portfolio-title">{t("portfolio")}</h2>
      {run ? <DiscoveryNotice run={run} /> : null}
      <ErrorList errors={errors} />
      <div className="row-actions">
        <button type="button" className="primary" onClick={discover} disabled={starting || run?.status === "RUNNING"}>
          {run ? t("discoverAgain") : t("discover")}
        </button>
        <Link to="/companies/invite" className="button">
          {t("navInvite")}
        </Link>
      </div>
      <div className="filters">
        <Field label={t("search")} type="search" name="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        <div className="field">
          <label htmlFor="status-filter">{t("statusFilter")}</label>
          <select id="status-filter" value={status} onChange={(e) => setStatus(e.target.value as PortfolioStatus | "")}>
            <option value="">{t("all")}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`ps_${s}`)}
                {summary ? ` (${summaryCount(summary.portfolioSummary, s)})` : ""}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className="table-wrap" role="region" aria-labelledby="portfolio-title" tabIndex={0}>
        <table className="portfolio-table">
          <thead>
            <tr>
              <th scope="col">{t("name")}</th>
              <th scope="col">{t("cui")}</th>
              <th scope="col">{t("sources")}</th>
              <th scope="col">{t("status")}</th>
            </tr>
          </thead>
          <tbody>
            {conn?.edges.map(({ node }) => (
              <tr key={node.id}>
                <td>
                  {node.name}
                  {node.isNew ? <span className="pill pill-new"> {t("new")}</span> : null}
                  {node.rightsLostAt ? <span className="pill pill-ERROR"> {t("rightsLost")}</span> : null}
                  {node.address ? <div className="muted small">{node.address}</div> : null}
                </td>
                <td>{node.cui}</td>
                <td>{node.sources.map((s) => t(`src_${s}`)).join(", ")}</td>
                <td>
                  <span className={`pill pill-${node.status}`}>{t(`ps_${node.status}`)}</span>
                  {node.invitation ? <div className="muted small">{node.invitation.email}</div> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {conn && conn.edges.length === 0 ? <p>{t("noEntries")}</p> : null}
      </div>
      {conn ? (
        <nav className="pager" aria-label={t("portfolio")}>
          <button type="button" disabled={page === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
            {t("previous")}
          </button>
          <span aria-live="polite">{t("pageOf", { from, to: from ? from + conn.edges.length - 1 : 0, total: conn.totalCount })}</span>
          <button type="button" disabled={!conn.pageInfo.hasNextPage} onClick={() => setCursors([...cursors, conn.pageInfo.endCursor ?? null])}>
            {t("next")}
          </button>
        </nav>
      ) : null}
      <AddByCui companyId={companyId} onAdded={() => refetch({ requestPolicy: "network-only" })} />
    </section>
  );
}

function summaryCount(s: { discovered: number; invited: number; accountCreated: number; collaborating: number; declined: number; expired: number; revoked: number }, status: PortfolioStatus): number {
  const map: Record<PortfolioStatus, number> = {
    DISCOVERED: s.discovered,
    INVITED: s.invited,
    ACCOUNT_CREATED: s.accountCreated,
    COLLABORATING: s.collaborating,
    DECLINED: s.declined,
    EXPIRED: s.expired,
    REVOKED: s.revoked,
  };
  return map[status];
}

function AddByCui({ companyId, onAdded }: { companyId: string; onAdded: () => void }) {
  const { t } = useI18n();
  const [text, setText] = useState("");
  const [errors, setErrors] = useState<UserErrorLike[]>([]);
  const [added, setAdded] = useState<number | null>(null);
  const [{ fetching }, add] = useMutation(AddCompaniesMutation);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const cuis = text.split(/[\s,;]+/).filter(Boolean);
    if (!cuis.length) return;
    const result = await add({ companyId, cuis });
    const payload = result.data?.addPortfolioCompanies;
    // each error names its CUI's index: ["cuis", "<index>"]
    setErrors((payload?.errors ?? []).map((err) => (err.field?.[0] === "cuis" && err.field[1] !== undefined ? { ...err, message: `${cuis[Number(err.field[1])] ?? ""}: ${err.message}` } : err)));
    setAdded(payload?.entries.length ?? 0);
    onAdded();
  };
  return (
    <form onSubmit={submit} className="card inset" noValidate>
      <Field label={t("addByCui")} name="cuis" hint={t("addByCuiHint")} value={text} onChange={(e) => setText(e.target.value)} />
      <button type="submit" disabled={fetching}>
        {t("addButton")}
      </button>
      {added !== null ? <p role="status">{t("added", { n: added })}</p> : null}
      <ErrorList errors={errors} />
    </form>
  );
}
