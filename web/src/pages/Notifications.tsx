import { useQuery } from "urql";
import { NotificationRow } from "../Bell";
import { useCompanies } from "../company";
import { useI18n } from "../i18n";
import { NotificationsQuery } from "../operations";
import { PageTitle } from "../ui";

/** The bell's list on a page of its own (the collaboration-request e-mail links here). */
export function NotificationsPage() {
  const { t } = useI18n();
  const { refresh } = useCompanies();
  const [{ data }, refetch] = useQuery({ query: NotificationsQuery, variables: { first: 50 }, requestPolicy: "network-only" });
  const items = data?.notifications.edges.map((e) => e.node) ?? [];
  return (
    <>
      <PageTitle>{t("bell")}</PageTitle>
      {data && !items.length ? <p>{t("noNotifications")}</p> : null}
      <ul className="bell-list card">
        {items.map((n) => (
          <NotificationRow
            key={n.id}
            n={n}
            onAnswered={() => {
              refetch({ requestPolicy: "network-only" });
              refresh();
            }}
          />
        ))}
      </ul>
    </>
  );
}
