import { useState, type FormEvent } from "react";
import { Link, useLocation } from "react-router";
import { useMutation } from "urql";
import { useI18n } from "../i18n";
import { SignInMutation, SignUpMutation } from "../operations";
import { useSession } from "../session";
import { Alert, ErrorList, errorsAt, Field, PageTitle, type UserErrorLike } from "../ui";

function useNext(): string {
  const next = new URLSearchParams(useLocation().search).get("next");
  return next ? `?next=${encodeURIComponent(next)}` : "";
}

export function SignInForm({ email: fixedEmail, onSignedIn }: { email?: string; onSignedIn?: (token: string) => void }) {
  const { t } = useI18n();
  const { signIn } = useSession();
  const [email, setEmail] = useState(fixedEmail ?? "");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<UserErrorLike[]>([]);
  const [{ fetching }, run] = useMutation(SignInMutation);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const result = await run({ email, password });
    const payload = result.data?.signIn;
    if (payload?.token) {
      onSignedIn?.(payload.token);
      signIn(payload.token);
    } else setErrors(payload?.errors ?? [{ code: "ERROR", message: t("errorGeneric") }]);
  };
  return (
    <form onSubmit={submit} noValidate>
      <ErrorList errors={errors.filter((e) => !e.field?.length)} />
      <Field label={t("email")} type="email" name="email" autoComplete="username" required value={email} readOnly={!!fixedEmail} onChange={(e) => setEmail(e.target.value)} errors={errorsAt(errors, "email")} />
      <Field label={t("password")} type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} errors={errorsAt(errors, "password")} />
      <button type="submit" className="primary" disabled={fetching}>
        {t("signInButton")}
      </button>
    </form>
  );
}

export function SignInPage() {
  const { t } = useI18n();
  const next = useNext();
  return (
    <>
      <PageTitle>{t("signInTitle")}</PageTitle>
      <SignInForm />
      <p>
        {t("noAccount")} <Link to={`/signup${next}`}>{t("signUpTitle")}</Link>
      </p>
    </>
  );
}

export function SignUpPage() {
  const { t, lang } = useI18n();
  const { signIn } = useSession();
  const next = useNext();
  const [form, setForm] = useState({ name: "", email: "", phone: "", password: "" });
  const [errors, setErrors] = useState<UserErrorLike[]>([]);
  const [{ fetching }, run] = useMutation(SignUpMutation);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const result = await run({ input: { ...form, phone: form.phone || null, locale: lang } });
    const payload = result.data?.signUp;
    if (payload?.token) signIn(payload.token);
    else setErrors(payload?.errors ?? [{ code: "ERROR", message: t("errorGeneric") }]);
  };
  const at = (f: string) => errorsAt(errors, "input", f).concat(errorsAt(errors, f));
  const general = errors.filter((e) => !e.field?.length);
  return (
    <>
      <PageTitle>{t("signUpTitle")}</PageTitle>
      <form onSubmit={submit} noValidate>
        <ErrorList errors={general} />
        <Field label={t("fullName")} name="name" autoComplete="name" required value={form.name} onChange={set("name")} errors={at("name")} />
        <Field label={t("email")} type="email" name="email" autoComplete="email" required value={form.email} onChange={set("email")} errors={at("email")} />
        <Field label={t("phone")} type="tel" name="phone" autoComplete="tel" value={form.phone} onChange={set("phone")} errors={at("phone")} />
        <Field label={t("password")} type="password" name="password" autoComplete="new-password" required value={form.password} onChange={set("password")} errors={at("password")} hint={t("passwordHint")} />
        <button type="submit" className="primary" disabled={fetching}>
          {t("signUpButton")}
        </button>
      </form>
      {errors.length && !general.length && !["name", "email", "phone", "password"].some((f) => at(f).length) ? <Alert kind="error">{errors[0].message}</Alert> : null}
      <p>
        {t("haveAccount")} <Link to={`/signin${next}`}>{t("signInTitle")}</Link>
      </p>
    </>
  );
}
