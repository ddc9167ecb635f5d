import { useEffect, useId, useRef, type InputHTMLAttributes, type ReactNode } from "react";

export type UserErrorLike = { code: string; field?: readonly string[] | null; message: string };

/** The errors whose field path starts with `path` (e.g. ["invitations", "3"]). */
export function errorsAt(errors: readonly UserErrorLike[] | undefined, ...path: string[]): UserErrorLike[] {
  return (errors ?? []).filter((e) => path.every((part, i) => e.field?.[i] === part));
}

/** The page's heading takes the focus when the page opens, so a screen reader announces it. */
export function PageTitle({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}

export function Alert({ kind, children }: { kind: "error" | "success" | "info" | "warning"; children: ReactNode }) {
  return (
    <div className={`alert alert-${kind}`} role={kind === "error" ? "alert" : "status"}>
      {kind === "success" ? <span aria-hidden="true" className="check">✓ </span> : null}
      {children}
    </div>
  );
}

export function ErrorList({ errors }: { errors: readonly UserErrorLike[] | undefined }) {
  if (!errors?.length) return null;
  return (
    <Alert kind="error">
      {errors.length === 1 ? (
        errors[0].message
      ) : (
        <ul>
          {errors.map((e, i) => (
            <li key={i}>{e.message}</li>
          ))}
        </ul>
      )}
    </Alert>
  );
}

type FieldProps = InputHTMLAttributes<HTMLInputElement> & { label: string; errors?: UserErrorLike[]; hint?: string; hideLabel?: boolean };

/** A labelled input; its errors are tied to it (aria-invalid, aria-describedby). */
export function Field({ label, errors, hint, hideLabel, id, ...input }: FieldProps) {
  const auto = useId();
  const inputId = id ?? auto;
  const errorId = `${inputId}-error`;
  const hintId = `${inputId}-hint`;
  const described = [errors?.length ? errorId : null, hint ? hintId : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`field${errors?.length ? " field-invalid" : ""}`}>
      <label htmlFor={inputId} className={hideLabel ? "visually-hidden" : undefined}>
        {label}
      </label>
      <input id={inputId} aria-invalid={errors?.length ? true : undefined} aria-describedby={described} {...input} />
      {hint ? (
        <small id={hintId} className="hint">
          {hint}
        </small>
      ) : null}
      {errors?.length ? (
        <small id={errorId} className="field-error">
          {errors.map((e) => e.message).join(" ")}
        </small>
      ) : null}
    </div>
  );
}
