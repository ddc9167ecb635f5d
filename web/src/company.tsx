import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import { useQuery } from "urql";
import { useI18n } from "./i18n";
import { CompaniesQuery } from "./operations";
import type { CompaniesQuery as CompaniesData } from "./gql/graphql";

export type CompanyEdge = CompaniesData["companies"][number];

type Companies = {
  edges: CompanyEdge[];
  own: CompanyEdge[];
  current: CompanyEdge | null;
  select: (id: string) => void;
  fetching: boolean;
  refresh: () => void;
};

const CompanyContext = createContext<Companies | null>(null);
const KEY = "portofoliu.company";

/** The signed-in user's companies ("Administrare companii") and the own company the screens act for. */
export function CompanyProvider({ children }: { children: ReactNode }) {
  const [{ data, fetching }, reexecute] = useQuery({ query: CompaniesQuery });
  const [selected, setSelected] = useState<string | null>(() => localStorage.getItem(KEY));
  const edges = useMemo(() => data?.companies ?? [], [data]);
  const own = useMemo(() => edges.filter((e) => e.relationship === "OWN"), [edges]);
  const current = own.find((e) => e.company.id === selected) ?? own[0] ?? null;
  const select = useCallback((id: string) => {
    localStorage.setItem(KEY, id);
    setSelected(id);
  }, []);
  const refresh = useCallback(() => reexecute({ requestPolicy: "network-only" }), [reexecute]);
  const value = useMemo(() => ({ edges, own, current, select, fetching: fetching && !data, refresh }), [edges, own, current, select, fetching, data, refresh]);
  return <CompanyContext.Provider value={value}>{children}</CompanyContext.Provider>;
}

export function useCompanies(): Companies {
  const ctx = useContext(CompanyContext);
  if (!ctx) throw new Error("useCompanies outside CompanyProvider");
  return ctx;
}

export function isVerified(verification: string): boolean {
  return verification === "VERIFIED_BY_EFACTURA" || verification === "VERIFIED_BY_INVITATION";
}

/** How the viewer's tie to one of their companies is proven (the mark is for the eye only). */
export function VerificationBadge({ verification }: { verification: CompanyEdge["company"]["verification"] }) {
  const { t } = useI18n();
  const verified = isVerified(verification);
  return (
    <span className={`pill pill-${verified ? "VERIFIED" : "UNVERIFIED"}`} data-testid="verification" title={t("verificationOf")}>
      <span aria-hidden="true">{verified ? "✓ " : "! "}</span>
      {t(`ver_${verification}`)}
    </span>
  );
}
