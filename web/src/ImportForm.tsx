import { useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { useI18n } from "./i18n";
import { ImportMutation } from "./operations";
import type { ImportPortfolioCandidatesMutation } from "./gql/graphql";
import { Alert, ErrorList, type UserErrorLike } from "./ui";

type Result = ImportPortfolioCandidatesMutation["importPortfolioCandidates"];

/** The firm's own client list (CSV/XLSX, GraphQL multipart upload): its contacts pre-fill the
 * invitations; CUIs not yet in the portfolio are verified at ANAF. */
export function ImportForm({ companyId, onImported }: { companyId: string; onImported: () => void }) {
  const { t } = useI18n();
  const [file, setFile] = useState<File | null>(null);
  const [result, setResult] = useState<Result | null>(null);
  const [errors, setErrors] = useState<UserErrorLike[]>([]);
  const [{ fetching }, run] = useMutation(ImportMutation);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    const answer = await run({ companyId, file });
    const payload = answer.data?.importPortfolioCandidates ?? null;
    setResult(payload);
    // errors at ["file", "<row>", "<column>"]: say which row
    setErrors(
      payload
        ? payload.errors.map((err) => (err.field?.[1] ? { ...err, message: `${t("importRow", { row: err.field[1] })}: ${err.message}` } : err))
        : [{ code: "ERROR", message: answer.error?.graphQLErrors[0]?.message ?? t("errorGeneric") }],
    );
    onImported();
  };
  return (
    <form onSubmit={submit} className="card inset" aria-labelledby="import-title" noValidate>
      <h2 id="import-title">{t("importTitle")}</h2>
      <p className="muted">{t("importIntro")}</p>
      <div className="field">
        <label htmlFor="import-file">{t("importFile")}</label>
        <input id="import-file" name="file" type="file" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
      </div>
      <button type="submit" disabled={!file || fetching}>
        {t("importButton")}
      </button>
      {result && result.rowsRead > 0 ? (
        <Alert kind={result.errors.length ? "warning" : "success"}>
          {t("importDone", { rows: result.rowsRead, imported: result.imported, verifying: result.verifying })}{" "}
          {result.columns.length ? t("importColumns", { columns: result.columns.map((c) => c.header).join(", ") }) : null}
        </Alert>
      ) : null}
      <ErrorList errors={errors} />
    </form>
  );
}
