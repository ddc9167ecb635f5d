import { useEffect, useMemo, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useMutation, useQuery, useSubscription } from "urql";
import { useCompanies } from "../company";
import { useI18n } from "../i18n";
import { ImportForm } from "../ImportForm";
import { DiscoverySubscription, PortfolioQuery, SendInvitationsMutation } from "../operations";
import type { PortfolioQuery as PortfolioData, PortfolioStatus } from "../gql/graphql";
import { Alert, ErrorList, errorsAt, Field, PageTitle, type UserErrorLike } from "../ui";

type Entry = PortfolioData["portfolio"]["edges"][number]["node"];
type Contact = { representativeName: string; email: string; phone: string };

const COLUMNS = ["representativeName", "email", "phone"] as const;
// Companies that can be invited: never invited, or whose last invitation ended without a collaboration.
const INVITABLE: PortfolioStatus[] = ["DISCOVERED", "EXPIRED", "DECLINED", "REVOKED"];
const PAGE = 100;

/** The contact to start from: the last invitation's when re-inviting, else what the imported list gave. */
function suggested(entry: Entry): Contact {
  const from = entry.invitation ?? entry.suggestedContact ?? null;
  return { representativeName: from?.representativeName ?? "", email: from?.email ?? "", phone: from?.phone ?? "" };
}

/** Adaugă companiile: one row per company not invited yet, with its representative, e-mail and phone. */
export function InviteGridPage() {
  const { t } = useI18n();
  const { current, fetching } = useCompanies();
  if (fetching) return <p>{t("loading")}</p>;
  if (!current) return <p>{t("needCompany")}</p>;
  return <Grid companyId={current.company.id} />;
}

function Grid({ companyId }: { companyId: string }) {
  const { t } = useI18n();
  const [search, setSearch] = useState("");
  const [status, setStatus] = useState<PortfolioStatus>("DISCOVERED");
  const [first, setFirst] = useState(PAGE);
  const [{ data }, refetch] = useQuery({
    query: PortfolioQuery,
    variables: { companyId, status, search: search || null, first },
    requestPolicy: "network-only",
  });
  // imported CUIs join the grid as ANAF confirms them
  const [{ data: progress }] = useSubscription({ query: DiscoverySubscription, variables: { companyId } });
  useEffect(() => {
    if (progress) refetch({ requestPolicy: "network-only" });
  }, [progress, refetch]);
  const [edits, setEdits] = useState<Record<string, Contact>>({});
  const [message, setMessage] = useState("");
  const [rowErrors, setRowErrors] = useState<Record<string, UserErrorLike[]>>({});
  const [general, setGeneral] = useState<UserErrorLike[]>([]);
  const [sent, setSent] = useState<number | null>(null);
  const [{ fetching }, send] = useMutation(SendInvitationsMutation);
  const entries = useMemo(() => data?.portfolio.edges.map((e) => e.node) ?? [], [data]);
  const contactOf = (entry: Entry) => edits[entry.cui] ?? suggested(entry);
  const edit = (entry: Entry, column: keyof Contact, value: string) => setEdits({ ...edits, [entry.cui]: { ...contactOf(entry), [column]: value } });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const rows = entries.filter((entry) => {
      const c = contactOf(entry);
      return c.email.trim() || c.representativeName.trim() || c.phone.trim();
    });
    setSent(null);
    if (!rows.length) {
      setGeneral([{ code: "INVALID_INPUT", message: t("nothingToSend") }]);
      return;
    }
    const invitations = rows.map((entry) => ({ cui: entry.cui, ...contactOf(entry), message: message.trim() || null }));
    const result = await send({ companyId, invitations, idempotencyKey: crypto.randomUUID() });
    const payload = result.data?.sendInvitations;
    if (!payload) {
      const first = result.error?.graphQLErrors[0];
      setGeneral([{ code: "ERROR", message: first?.extensions?.code === "FORBIDDEN" ? t("inviteForbidden") : (first?.message ?? t("errorGeneric")) }]);
      return;
    }
    // field paths name the row sent: ["invitations", "<index>", "<column>"]
    const byCui: Record<string, UserErrorLike[]> = {};
    const other: UserErrorLike[] = [];
    for (const err of payload.errors) {
      const index = err.field?.[0] === "invitations" ? Number(err.field[1]) : NaN;
      const cui = rows[index]?.cui;
      if (cui) (byCui[cui] ??= []).push(err);
      else other.push(err);
    }
    setRowErrors(byCui);
    setGeneral(other);
    setSent(payload.invitations.length);
    const sentCuis = new Set(payload.invitations.map((i) => i.cui));
    setEdits(Object.fromEntries(Object.entries(edits).filter(([cui]) => !sentCuis.has(cui))));
    refetch({ requestPolicy: "network-only" });
  };

  const failing = Object.keys(rowErrors).length;
  return (
    <>
      <PageTitle>{t("inviteTitle")}</PageTitle>
      <p>{t("inviteIntro")}</p>
      <ImportForm companyId={companyId} onImported={() => refetch({ requestPolicy: "network-only" })} />
      {sent !== null && sent > 0 ? (
        <Alert kind="success">
          {sent === 1 ? t("sentOne") : t("sentCount", { n: sent })} <Link to="/invitations">{t("navInvitations")}</Link>
        </Alert>
      ) : null}
      {failing ? <Alert kind="error">{failing === 1 ? t("rowErrorsOne") : t("rowErrors", { n: failing })}</Alert> : null}
      <ErrorList errors={general} />
      <div className="filters">
        <Field label={t("search")} type="search" name="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        <div className="field">
          <label htmlFor="invite-status">{t("statusFilter")}</label>
          <select id="invite-status" value={status} onChange={(e) => setStatus(e.target.value as PortfolioStatus)}>
            {INVITABLE.map((s) => (
              <option key={s} value={s}>
                {t(`ps_${s}`)}
              </option>
            ))}
          </select>
        </div>
      </div>
      <form onSubmit={submit} noValidate>
        {entries.length === 0 && data ? <p>{t("nothingToInvite")}</p> : null}
        <div className="table-wrap" role="region" aria-label={t("inviteTitle")} tabIndex={0}>
          <table className="invite-grid">
            <thead>
              <tr>
                <th scope="col">{t("name")}</th>
                <th scope="col">{t("representative")}</th>
                <th scope="col">{t("email")}</th>
                <th scope="col">{t("phone")}</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => {
                const c = contactOf(entry);
                const errs = rowErrors[entry.cui] ?? [];
                const rowLevel = errs.filter((er) => !COLUMNS.some((col) => er.field?.[2] === col));
                return (
                  <tr key={entry.cui} data-cui={entry.cui} className={errs.length ? "row-invalid" : undefined}>
                    <th scope="row">
                      {entry.name}
                      <div className="muted small">CUI {entry.cui}</div>
                      {rowLevel.length ? <small className="field-error">{rowLevel.map((er) => er.message).join(" ")}</small> : null}
                    </th>
                    {COLUMNS.map((col) => (
                      <td key={col}>
                        <Field
                          hideLabel
                          label={`${t(col === "representativeName" ? "representative" : col)} ${t("forCompany", { name: entry.name })}`}
                          name={`${col}-${entry.cui}`}
                          type={col === "email" ? "email" : col === "phone" ? "tel" : "text"}
                          value={c[col]}
                          onChange={(e) => edit(entry, col, e.target.value)}
                          errors={errorsAt(errs, "invitations", errs[0]?.field?.[1] ?? "", col)}
                        />
                      </td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        {data?.portfolio.pageInfo.hasNextPage ? (
          <button type="button" onClick={() => setFirst(first + PAGE)}>
            {t("loadMore")}
          </button>
        ) : null}
        <Field label={t("message")} name="message" value={message} onChange={(e) => setMessage(e.target.value)} />
        <button type="submit" className="primary" disabled={fetching}>
          {t("sendInvitation")}
        </button>
      </form>
    </>
  );
}


