import { useState, type FormEvent } from "react";
import { Link, useLocation } from "react-router";
import { useMutation, useQuery } from "urql";
import { isVerified, useCompanies, VerificationBadge } from "../company";
import { hasText, useI18n } from "../i18n";
import { ChecklistQuery, CreateCompanyMutation, SetAccountingMutation } from "../operations";
import { Alert, ErrorList, errorsAt, Field, PageTitle, type UserErrorLike } from "../ui";

export function HomePage() {
  const { t } = useI18n();
  const { current, fetching } = useCompanies();
  const notice = (useLocation().state as { notice?: string } | null)?.notice;
  if (fetching) return <p>{t("loading")}</p>;
  if (!current) return <CreateCompany />;
  return (
    <>
      <PageTitle>{current.company.name}</PageTitle>
      {notice && hasText(notice) ? <Alert kind="success">{t(notice)}</Alert> : null}
      <p className="muted">
        {t("cui")} {current.company.cui}
        {current.company.address ? ` · ${current.company.address}` : ""} <VerificationBadge verification={current.company.verification} />
        {isVerified(current.company.verification) ? null : (
          <>
            {" "}
            <Link to="/companies">{t("howToProve")}</Link>
          </>
        )}
      </p>
      {current.company.providesAccountingServices ? (
        <Checklist companyId={current.company.id} />
      ) : (
        <p>
          <Link to="/companies">{t("goCompanies")}</Link>
        </p>
      )}
    </>
  );
}

function CreateCompany() {
  const { t } = useI18n();
  const { refresh, select } = useCompanies();
  const [cui, setCui] = useState("");
  const [accounting, setAccounting] = useState(true);
  const [errors, setErrors] = useState<UserErrorLike[]>([]);
  const [{ fetching }, run] = useMutation(CreateCompanyMutation);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const result = await run({ input: { cui, providesAccountingServices: accounting } });
    const payload = result.data?.createCompany;
    if (payload?.company) {
      select(payload.company.id);
      refresh();
    } else setErrors(payload?.errors ?? [{ code: "ERROR", message: t("errorGeneric") }]);
  };
  const cuiErrors = errorsAt(errors, "input", "cui").concat(errorsAt(errors, "cui"));
  return (
    <>
      <PageTitle>{t("addCompanyTitle")}</PageTitle>
      <p>{t("addCompanyIntro")}</p>
      <form onSubmit={submit} noValidate>
        <ErrorList errors={errors.filter((e) => !cuiErrors.includes(e))} />
        <Field label={t("cui")} name="cui" inputMode="numeric" required value={cui} onChange={(e) => setCui(e.target.value)} errors={cuiErrors} />
        <div className="checkbox">
          <input id="accounting" type="checkbox" checked={accounting} onChange={(e) => setAccounting(e.target.checked)} />
          <label htmlFor="accounting">{t("providesAccounting")}</label>
        </div>
        <button type="submit" className="primary" disabled={fetching}>
          {t("addCompanyButton")}
        </button>
      </form>
    </>
  );
}

/** "Ceva nu funcționează?": what the firm still needs, each with the way to do it. */
export function Checklist({ companyId }: { companyId: string }) {
  const { t } = useI18n();
  const [{ data }, refetch] = useQuery({ query: ChecklistQuery, variables: { companyId }, requestPolicy: "network-only" });
  const [{ fetching }, setAccounting] = useMutation(SetAccountingMutation);
  const [errors, setErrors] = useState<UserErrorLike[]>([]);
  const { refresh } = useCompanies();
  const list = data?.setupChecklist;
  if (!list) return null;
  const enable = async () => {
    const result = await setAccounting({ companyId, enabled: true });
    setErrors(result.data?.setProvidesAccountingServices.errors ?? []);
    refetch({ requestPolicy: "network-only" });
    refresh();
  };
  return (
    <section aria-labelledby="checklist-title" className="card">
      <h2 id="checklist-title">{t("checklistTitle")}</h2>
      {list.ready ? <Alert kind="success">{t("checklistReady")}</Alert> : <p>{t("checklistIntro")}</p>}
      <ul className="checklist">
        <li className={list.providesAccountingServices ? "ok" : "todo"}>
          <span aria-hidden="true">{list.providesAccountingServices ? "✓" : "○"}</span> {t("checkAccounting")}{" "}
          <span className="visually-hidden">({list.providesAccountingServices ? t("done") : t("todo")})</span>
          {!list.providesAccountingServices ? (
            <button type="button" onClick={enable} disabled={fetching}>
              {t("enableAccounting")}
            </button>
          ) : null}
        </li>
        <li className={list.efacturaActive ? "ok" : "todo"}>
          <span aria-hidden="true">{list.efacturaActive ? "✓" : "○"}</span> {t("checkEfactura")}{" "}
          <span className="visually-hidden">({list.efacturaActive ? t("done") : t("todo")})</span>
          {!list.efacturaActive ? <Link to="/integrations/efactura">{t("goEfactura")}</Link> : null}
        </li>
      </ul>
      {list.problems.length ? (
        <ul className="problems">
          {list.problems.map((p) => (
            <li key={p.code}>{p.message}</li>
          ))}
        </ul>
      ) : null}
      {list.ready ? <Link to="/companies">{t("goCompanies")}</Link> : null}
      <ErrorList errors={errors} />
    </section>
  );
}
