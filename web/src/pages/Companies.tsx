import { useEffect, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useMutation, useQuery, useSubscription } from "urql";
import { useCompanies, type CompanyEdge } from "../company";
import { useI18n } from "../i18n";
import type { DiscoveryRun, PortfolioStatus } from "../gql/graphql";
import {
  AddCompaniesMutation,
  DiscoverySubscription,
  InvitationUpdatedSubscription,
  PortfolioQuery,
  PortfolioSummaryQuery,
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
        <CompanyList edges={own} />
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
