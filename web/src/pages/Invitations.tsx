import { useEffect, useState } from "react";
import { useMutation, useQuery, useSubscription } from "urql";
import { useCompanies } from "../company";
import { useI18n } from "../i18n";
import type { InvitationStatus } from "../gql/graphql";
import { InvitationUpdatedSubscription, InvitationsQuery, ResendInvitationMutation, RevokeInvitationMutation } from "../operations";
import { Alert, ErrorList, PageTitle, type UserErrorLike } from "../ui";

const STATUSES: InvitationStatus[] = ["PENDING", "ACCOUNT_CREATED", "ACCEPTED", "DECLINED", "EXPIRED", "REVOKED"];
const OPEN: InvitationStatus[] = ["PENDING", "ACCOUNT_CREATED"];

/** The firm's invitations, live (invitationUpdated), with resend and revoke. */
export function InvitationsPage() {
  const { t } = useI18n();
  const { current, fetching } = useCompanies();
  if (fetching) return <p>{t("loading")}</p>;
  if (!current) return <p>{t("needCompany")}</p>;
  return <Table companyId={current.company.id} />;
}

function Table({ companyId }: { companyId: string }) {
  const { t, fmtDate } = useI18n();
  const [status, setStatus] = useState<InvitationStatus | "">("");
  const [first, setFirst] = useState(50);
  const [{ data }, refetch] = useQuery({ query: InvitationsQuery, variables: { companyId, status: status || null, first } });
  const [{ data: live }] = useSubscription({ query: InvitationUpdatedSubscription, variables: { companyId } });
  const [errors, setErrors] = useState<UserErrorLike[]>([]);
  const [done, setDone] = useState<string | null>(null);
  const [, resend] = useMutation(ResendInvitationMutation);
  const [, revoke] = useMutation(RevokeInvitationMutation);
  useEffect(() => {
    if (live) refetch({ requestPolicy: "network-only" }); // a change may also move it in or out of the filter
  }, [live, refetch]);

  const act = async (kind: "resend" | "revoke", id: string, label: string) => {
    setErrors([]);
    setDone(null);
    const result = kind === "resend" ? await resend({ id }) : await revoke({ id });
    const payload = result.data && ("resendInvitation" in result.data ? result.data.resendInvitation : result.data.revokeInvitation);
    if (payload?.errors.length) setErrors(payload.errors);
    else if (result.error) setErrors([{ code: "ERROR", message: result.error.graphQLErrors[0]?.extensions?.code === "FORBIDDEN" ? t("inviteForbidden") : (result.error.graphQLErrors[0]?.message ?? t("errorGeneric")) }]);
    else setDone(t(kind === "resend" ? "resent" : "revoked", { name: label }));
    refetch({ requestPolicy: "network-only" });
  };

  const conn = data?.invitations;
  return (
    <>
      <PageTitle>{t("invitationsTitle")}</PageTitle>
      <div className="filters">
        <div className="field">
          <label htmlFor="inv-status">{t("statusFilter")}</label>
          <select id="inv-status" value={status} onChange={(e) => setStatus(e.target.value as InvitationStatus | "")}>
            <option value="">{t("all")}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`is_${s}`)}
              </option>
            ))}
          </select>
        </div>
      </div>
      {done ? <Alert kind="success">{done}</Alert> : null}
      <ErrorList errors={errors} />
      <div className="table-wrap" role="region" aria-label={t("invitationsTitle")} tabIndex={0}>
        <table className="invitations-table">
          <thead>
            <tr>
              <th scope="col">{t("name")}</th>
              <th scope="col">{t("representative")}</th>
              <th scope="col">{t("status")}</th>
              <th scope="col">{t("sentAt")}</th>
              <th scope="col">{t("expiresAt")}</th>
              <th scope="col">{t("actions")}</th>
            </tr>
          </thead>
          <tbody>
            {conn?.edges.map(({ node }) => (
              <tr key={node.id} data-invitation={node.id} data-cui={node.cui}>
                <th scope="row">
                  {node.companyName}
                  <div className="muted small">CUI {node.cui}</div>
                </th>
                <td>
                  {node.representativeName}
                  <div className="muted small">
                    {node.email} · {node.phone}
                  </div>
                </td>
                <td>
                  <span className={`pill pill-${node.status}`} data-testid="invitation-status">
                    {t(`is_${node.status}`)}
                  </span>
                </td>
                <td>{fmtDate(node.sentAt)}</td>
                <td>{fmtDate(node.expiresAt)}</td>
                <td className="row-actions">
                  {node.status === "PENDING" ? (
                    <button type="button" onClick={() => act("resend", node.id, node.companyName)} aria-label={`${t("resend")} ${node.companyName}`}>
                      {t("resend")}
                    </button>
                  ) : null}
                  {OPEN.includes(node.status) ? (
                    <button type="button" onClick={() => act("revoke", node.id, node.companyName)} aria-label={`${t("revoke")} ${node.companyName}`}>
                      {t("revoke")}
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {conn && conn.edges.length === 0 ? <p>{t("noInvitations")}</p> : null}
      </div>
      {conn?.pageInfo.hasNextPage ? (
        <button type="button" onClick={() => setFirst(first + 50)}>
          {t("loadMore")}
        </button>
      ) : null}
    </>
  );
}
