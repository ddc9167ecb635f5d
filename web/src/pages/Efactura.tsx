import { useEffect, useState } from "react";
import { useSearchParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { useCompanies } from "../company";
import { hasText, useI18n } from "../i18n";
import { DisconnectEfacturaMutation, EfacturaQuery, StartEfacturaMutation } from "../operations";
import { Alert, ErrorList, PageTitle, type UserErrorLike } from "../ui";

const WARN_DAYS = 14;

/** Integrări → RO e-Factura: Activare, Configurare integrare, the trip to ANAF, and the page ANAF's
 * redirect comes back to (`?status=ok|error&reason=...&companyId=...`). */
export function EfacturaPage() {
  const { t } = useI18n();
  const [params] = useSearchParams();
  const { current, own, select, fetching } = useCompanies();
  const returnedFor = params.get("companyId");
  useEffect(() => {
    if (returnedFor && own.some((e) => e.company.id === returnedFor)) select(returnedFor);
  }, [returnedFor, own, select]);
  const status = params.get("status");
  const reason = params.get("reason") ?? "";
  const reasonKey = `reason_${reason}`;
  return (
    <>
      <PageTitle>
        {t("navIntegrations")} → {t("efacturaTitle")}
      </PageTitle>
      {status === "ok" ? <Alert kind="success">{t("efacturaSuccess")}</Alert> : null}
      {status === "error" && reason === "NO_EFACTURA_RIGHTS" ? (
        <NoRights company={own.find((e) => e.company.id === returnedFor)?.company ?? current?.company ?? null} />
      ) : status === "error" ? (
        <Alert kind="error">
          {t("efacturaFailed")} {hasText(reasonKey) ? t(reasonKey) : reason ? t("reason_other", { reason }) : null}
        </Alert>
      ) : null}
      {fetching ? <p>{t("loading")}</p> : current ? <Integration companyId={current.company.id} companyName={current.company.name} /> : <p>{t("needCompany")}</p>}
    </>
  );
}

/** The return from ANAF with a certificate that has no SPV rights on the company: what happened and what to do. */
function NoRights({ company }: { company: { cui: string; name: string } | null }) {
  const { t } = useI18n();
  return (
    <Alert kind="error">
      <p className="alert-title">
        <strong>{t("efacturaFailed")}</strong>
      </p>
      <p>{company ? t("noRightsFor", { cui: company.cui, name: company.name }) : t("reason_NO_EFACTURA_RIGHTS")}</p>
      <p>{t("noRightsWhat")}</p>
      <ul>
        <li>{t("noRightsOtherCertificate")}</li>
        <li>{t("noRightsAskAnaf")}</li>
      </ul>
    </Alert>
  );
}

function Integration({ companyId, companyName }: { companyId: string; companyName: string }) {
  const { t, fmtDate } = useI18n();
  const [{ data, error }, refetch] = useQuery({ query: EfacturaQuery, variables: { companyId }, requestPolicy: "network-only" });
  const [configuring, setConfiguring] = useState(false);
  const [errors, setErrors] = useState<UserErrorLike[]>([]);
  const [{ fetching: starting }, start] = useMutation(StartEfacturaMutation);
  const [{ fetching: leaving }, disconnect] = useMutation(DisconnectEfacturaMutation);
  const integration = data?.efacturaIntegration;
  if (error) return <Alert kind="error">{error.graphQLErrors[0]?.extensions?.code === "FORBIDDEN" ? t("onlyManagers") : t("errorGeneric")}</Alert>;
  if (!integration) return <p>{t("loading")}</p>;
  const active = integration.status === "ACTIVE";
  const daysLeft = integration.refreshExpiresAt ? Math.floor((new Date(integration.refreshExpiresAt).getTime() - Date.now()) / 86_400_000) : null;

  const goToAnaf = async () => {
    setErrors([]);
    const result = await start({ companyId });
    const payload = result.data?.startEfacturaAuthorization;
    if (payload?.authorizationUrl) window.location.assign(payload.authorizationUrl);
    else setErrors(payload?.errors.length ? payload.errors : [{ code: "ERROR", message: result.error?.graphQLErrors[0]?.extensions?.code === "FORBIDDEN" ? t("onlyManagers") : t("errorGeneric") }]);
  };
  const forget = async () => {
    const result = await disconnect({ companyId });
    setErrors(result.data?.disconnectEfactura.errors ?? []);
    refetch({ requestPolicy: "network-only" });
  };

  return (
    <section className="card integration" aria-labelledby="efactura-card">
      <h2 id="efactura-card">
        {t("efacturaTitle")} <span className="muted">· {companyName}</span>
      </h2>
      <p>{t("efacturaIntro")}</p>
      <p>
        {t("status")}:{" "}
        <span className={`pill pill-${integration.status}`} data-testid="efactura-status">
          {active ? <span aria-hidden="true">✓ </span> : null}
          {t(`st_${integration.status}`)}
        </span>
      </p>
      {integration.lastError ? (
        <Alert kind={integration.status === "ERROR" ? "error" : "warning"}>
          <span data-testid="efactura-last-error">
            {t("lastError")}: {integration.lastError}
          </span>
        </Alert>
      ) : null}
      {active && daysLeft !== null && daysLeft <= WARN_DAYS ? <Alert kind="warning">{t("expiryWarning", { days: Math.max(daysLeft, 0) })}</Alert> : null}
      {integration.status !== "NOT_CONFIGURED" ? (
        <dl className="facts">
          <dt>{t("certificateSerial")}</dt>
          <dd>{integration.certificateSerial ?? "—"}</dd>
          <dt>{t("authorizedBy")}</dt>
          <dd>{integration.authorizedBy?.name ?? "—"}</dd>
          <dt>{t("authorizedAt")}</dt>
          <dd>{fmtDate(integration.authorizedAt)}</dd>
          <dt>{t("accessExpiresAt")}</dt>
          <dd>{fmtDate(integration.accessExpiresAt)}</dd>
          <dt>{t("refreshExpiresAt")}</dt>
          <dd>{fmtDate(integration.refreshExpiresAt)}</dd>
        </dl>
      ) : null}
      <ErrorList errors={errors} />
      {configuring ? (
        <div className="card inset" role="group" aria-labelledby="configure-title">
          <h3 id="configure-title">{t("configureTitle")}</h3>
          <p>{t("configureSteps")}</p>
          <div className="row-actions">
            <button type="button" className="primary" onClick={goToAnaf} disabled={starting} autoFocus>
              {t("continueToAnaf")}
            </button>
            <button type="button" onClick={() => setConfiguring(false)}>
              {t("cancel")}
            </button>
          </div>
        </div>
      ) : (
        <div className="row-actions">
          <button type="button" className="primary" onClick={() => setConfiguring(true)}>
            {active || integration.status === "ERROR" || integration.status === "EXPIRED" ? t("reauthorize") : t("activate")}
          </button>
          {integration.status !== "NOT_CONFIGURED" ? (
            <button type="button" onClick={forget} disabled={leaving}>
              {t("disconnect")}
            </button>
          ) : null}
        </div>
      )}
    </section>
  );
}
