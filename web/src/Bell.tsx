import { useEffect, useId, useRef, useState } from "react";
import { useMutation, useQuery, useSubscription } from "urql";
import { useCompanies } from "./company";
import { useI18n } from "./i18n";
import {
  ClaimByIdMutation,
  MarkAllReadMutation,
  NotificationAddedSubscription,
  NotificationsQuery,
  RespondMutation,
  UnreadCountSubscription,
} from "./operations";
import type { NotificationItemFragment } from "./gql/graphql";
import { ErrorList, type UserErrorLike } from "./ui";

/** The bell: the live unread count (unreadNotificationCountChanged), the list (refreshed on each
 * notificationAdded), and accept / decline for collaboration invitations. */
export function Bell() {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const buttonRef = useRef<HTMLButtonElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (open) headingRef.current?.focus(); // a screen reader lands in the list it opened
  }, [open]);
  const [{ data: countData }] = useSubscription({ query: UnreadCountSubscription });
  const [{ data: added }] = useSubscription({ query: NotificationAddedSubscription, variables: { after: null } });
  const [{ data }, refetch] = useQuery({ query: NotificationsQuery, variables: { first: 20 } });
  const { refresh: refreshCompanies } = useCompanies();
  const count = countData?.unreadNotificationCountChanged ?? 0;

  useEffect(() => {
    if (added) {
      refetch({ requestPolicy: "network-only" });
      // an accepted invitation adds a company to "Administrare companii"
      if (added.notificationAdded.kind === "INVITATION_ACCEPTED" || added.notificationAdded.kind === "COLLABORATION_INVITATION") refreshCompanies();
    }
  }, [added, refetch, refreshCompanies]);

  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        setOpen(false);
        buttonRef.current?.focus();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [open]);

  const [, markAll] = useMutation(MarkAllReadMutation);
  const items = data?.notifications.edges.map((e) => e.node) ?? [];
  return (
    <div className="bell">
      <button
        ref={buttonRef}
        type="button"
        className="bell-button"
        aria-expanded={open}
        aria-controls={panelId}
        aria-label={t("bellUnread", { n: count })}
        onClick={() => {
          setOpen(!open);
          if (!open) refetch({ requestPolicy: "network-only" });
        }}
      >
        <svg aria-hidden="true" focusable="false" width="20" height="20" viewBox="0 0 24 24" fill="currentColor">
          <path d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z" />
        </svg>
        {count > 0 ? (
          <span className="badge" aria-hidden="true" data-testid="unread-count">
            {count}
          </span>
        ) : null}
      </button>
      <span className="visually-hidden" aria-live="polite">
        {count > 0 ? t("bellUnread", { n: count }) : ""}
      </span>
      {open ? (
        <section id={panelId} className="bell-panel" aria-label={t("bell")}>
          <div className="bell-head">
            <h2 ref={headingRef} tabIndex={-1}>
              {t("bell")}
            </h2>
            <button type="button" className="link-button" onClick={() => markAll({})} disabled={count === 0}>
              {t("markAllRead")}
            </button>
            <button type="button" className="link-button" onClick={() => setOpen(false)}>
              {t("close")}
            </button>
          </div>
          {items.length === 0 ? <p>{t("noNotifications")}</p> : null}
          <ul className="bell-list">
            {items.map((n) => (
              <NotificationRow key={n.id} n={n} onAnswered={() => {
                refetch({ requestPolicy: "network-only" });
                refreshCompanies();
              }} />
            ))}
          </ul>
        </section>
      ) : null}
    </div>
  );
}

export function NotificationRow({ n, onAnswered }: { n: NotificationItemFragment; onAnswered: () => void }) {
  const { t, fmtDate } = useI18n();
  const [, claim] = useMutation(ClaimByIdMutation);
  const [, respond] = useMutation(RespondMutation);
  const [errors, setErrors] = useState<UserErrorLike[]>([]);
  const [busy, setBusy] = useState(false);
  const inv = n.invitation;
  const answerable = n.kind === "COLLABORATION_INVITATION" && inv && (inv.status === "PENDING" || inv.status === "ACCOUNT_CREATED");

  const answer = async (accept: boolean) => {
    if (!inv) return;
    setBusy(true);
    setErrors([]);
    try {
      if (inv.status === "PENDING") {
        // sent to an address that already had an account: take it first, then answer (unless it was
        // taken meanwhile, e.g. from the link's page, which this list may not show yet)
        const claimed = await claim({ id: inv.id });
        const errs = claimed.data?.claimInvitationById.errors ?? [];
        const takenAlready = errs.length === 1 && errs[0].code === "INVITATION_ALREADY_USED";
        if (claimed.error || (errs.length && !takenAlready)) {
          setErrors(errs.length ? errs : [{ code: "ERROR", message: t("errorGeneric") }]);
          return;
        }
      }
      const result = await respond({ invitationId: inv.id, accept });
      const errs = result.data?.respondToCollaboration.errors ?? [];
      if (result.error || errs.length) setErrors(errs.length ? errs : [{ code: "ERROR", message: t("errorGeneric") }]);
      else onAnswered();
    } finally {
      setBusy(false);
    }
  };

  return (
    <li className={n.readAt ? "read" : "unread"}>
      <strong>{n.title}</strong>
      <p>{n.body}</p>
      <small>{fmtDate(n.createdAt)}</small>
      {answerable ? (
        <div className="row-actions">
          <button type="button" className="primary" disabled={busy} onClick={() => answer(true)}>
            {t("accept")}
          </button>
          <button type="button" disabled={busy} onClick={() => answer(false)}>
            {t("decline")}
          </button>
        </div>
      ) : inv && n.kind === "COLLABORATION_INVITATION" ? (
        <small className="muted"> · {t(`is_${inv.status}`)}</small>
      ) : null}
      <ErrorList errors={errors} />
    </li>
  );
}
