import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { useI18n } from "../i18n";
import { AcceptSignUpMutation, ClaimInvitationMutation, DeclineInvitationMutation, InvitationPreviewQuery, MeQuery } from "../operations";
import { useSession } from "../session";
import { Alert, ErrorList, errorsAt, Field, PageTitle, type UserErrorLike } from "../ui";
import { SignInForm } from "./Auth";

/** The page an invitation e-mail links to: `/invite/{token}` (`#decline` jumps to declining). */
export function InviteLinkPage() {
  const { t, fmtDate } = useI18n();
  const { token = "" } = useParams();
  const { token: session } = useSession();
  const [{ data, fetching, error }, refetch] = useQuery({ query: InvitationPreviewQuery, variables: { token }, requestPolicy: "network-only" });
  const [declined, setDeclined] = useState(false);
  const [claimed, setClaimed] = useState(false);
  const preview = data?.invitationPreview;

  if (fetching && !data) return <p>{t("loading")}</p>;
  if (error) return <Alert kind="error">{t("errorGeneric")}</Alert>;
  return (
    <>
      <PageTitle>{t("inviteLinkTitle")}</PageTitle>
      {declined ? <Alert kind="success">{t("declined")}</Alert> : null}
      {claimed ? (
        <Alert kind="success">
          {t("claimed")} <Link to="/">{t("navHome")}</Link>
        </Alert>
      ) : null}
      {!preview ? <Alert kind="error">{t("link_unknown")}</Alert> : null}
      {preview && preview.status !== "PENDING" && !declined && !claimed ? (
        <>
          <Alert kind={preview.status === "ACCEPTED" ? "info" : "error"}>
            <span data-testid="link-status">{t(`link_${preview.status}`)}</span>
          </Alert>
          {!session && preview.status === "ACCOUNT_CREATED" ? <Link to="/signin">{t("goSignIn")}</Link> : null}
        </>
      ) : null}
      {preview && preview.status === "PENDING" ? (
        <>
          <section className="card" aria-labelledby="invite-summary">
            <h2 id="invite-summary" className="visually-hidden">
              {t("invitationDetails")}
            </h2>
            <p>{t("inviteFrom", { firm: preview.accountingFirmName, company: preview.companyName, cui: preview.cui })}</p>
            <p className="muted">{t("inviteValidUntil", { date: fmtDate(preview.expiresAt) })}</p>
          </section>
          {session ? (
            <Claim token={token} onClaimed={() => { setClaimed(true); refetch({ requestPolicy: "network-only" }); }} />
          ) : preview.accountExists ? (
            <section className="card" aria-labelledby="signin-claim">
              <h2 id="signin-claim">{t("accountExistsTitle", { email: preview.email })}</h2>
              <p>{t("accountExistsIntro")}</p>
              <SignInForm email={preview.email} />
            </section>
          ) : (
            <SignUpFromInvitation token={token} preview={preview} />
          )}
          <Decline token={token} onDeclined={() => { setDeclined(true); refetch({ requestPolicy: "network-only" }); }} />
        </>
      ) : null}
    </>
  );
}

type Preview = { companyName: string; cui: string; representativeName: string; email: string };

function SignUpFromInvitation({ token, preview }: { token: string; preview: Preview }) {
  const { t } = useI18n();
  const { signIn } = useSession();
  const navigate = useNavigate();
  const [name, setName] = useState(preview.representativeName);
  const [phone, setPhone] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<UserErrorLike[]>([]);
  const [{ fetching }, run] = useMutation(AcceptSignUpMutation);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const result = await run({ input: { token, password, name: name || null, phone: phone || null } });
    const payload = result.data?.acceptInvitationSignUp;
    if (payload?.token) {
      signIn(payload.token);
      navigate("/", { state: { notice: "welcomeAccept" } });
    } else setErrors(payload?.errors ?? [{ code: "ERROR", message: t("errorGeneric") }]);
  };
  const at = (f: string) => errorsAt(errors, "input", f).concat(errorsAt(errors, f));
  const shown = ["name", "phone", "password"].flatMap(at);
  return (
    <section className="card" aria-labelledby="create-account">
      <h2 id="create-account">{t("createAccountTitle")}</h2>
      <form onSubmit={submit} noValidate>
        <ErrorList errors={errors.filter((e) => !shown.includes(e))} />
        <Field label={t("invitedCompany")} name="company" value={`${preview.companyName} (CUI ${preview.cui})`} readOnly />
        <Field label={t("email")} type="email" name="email" autoComplete="username" value={preview.email} readOnly />
        <Field label={t("fullName")} name="name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} errors={at("name")} />
        <Field label={t("phone")} type="tel" name="phone" autoComplete="tel" value={phone} onChange={(e) => setPhone(e.target.value)} errors={at("phone")} hint={t("phoneFromInvitation")} />
        <Field label={t("password")} type="password" name="password" autoComplete="new-password" required value={password} onChange={(e) => setPassword(e.target.value)} errors={at("password")} hint={t("passwordHint")} />
        <button type="submit" className="primary" disabled={fetching}>
          {t("signUpButton")}
        </button>
      </form>
    </section>
  );
}

function Claim({ token, onClaimed }: { token: string; onClaimed: () => void }) {
  const { t } = useI18n();
  const [{ data: me }] = useQuery({ query: MeQuery });
  const [errors, setErrors] = useState<UserErrorLike[]>([]);
  const [{ fetching }, run] = useMutation(ClaimInvitationMutation);
  const claim = async () => {
    const result = await run({ token });
    const payload = result.data?.claimInvitation;
    if (payload?.invitation) onClaimed();
    else setErrors(payload?.errors ?? [{ code: "ERROR", message: t("errorGeneric") }]);
  };
  return (
    <section className="card" aria-labelledby="claim-title">
      <h2 id="claim-title">{t("claim")}</h2>
      {me?.me ? <p>{t("signedInAs", { email: me.me.email })}</p> : null}
      <ErrorList errors={errors} />
      <button type="button" className="primary" onClick={claim} disabled={fetching}>
        {t("claim")}
      </button>
    </section>
  );
}

function Decline({ token, onDeclined }: { token: string; onDeclined: () => void }) {
  const { t } = useI18n();
  const [errors, setErrors] = useState<UserErrorLike[]>([]);
  const [{ fetching }, run] = useMutation(DeclineInvitationMutation);
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    if (window.location.hash === "#decline") ref.current?.scrollIntoView();
  }, []);
  const decline = async () => {
    const result = await run({ token });
    const payload = result.data?.declineInvitation;
    if (payload?.invitation) onDeclined();
    else setErrors(payload?.errors ?? [{ code: "ERROR", message: t("errorGeneric") }]);
  };
  return (
    <section id="decline" ref={ref} className="card" aria-labelledby="decline-title">
      <h2 id="decline-title">{t("declineTitle")}</h2>
      <ErrorList errors={errors} />
      <button type="button" className="danger" onClick={decline} disabled={fetching}>
        {t("declineButton")}
      </button>
    </section>
  );
}
