import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { Client, Provider, cacheExchange, fetchExchange, subscriptionExchange } from "urql";
import { createClient as createWSClient, type Client as WSClient } from "graphql-ws";
import type { Lang } from "./i18n";

const TOKEN_KEY = "portofoliu.token";

type Session = { token: string | null; signIn: (token: string) => void; signOut: () => void };
const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error("useSession outside SessionProvider");
  return ctx;
}

function wsUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === "https:" ? "wss:" : "ws:"}//${host}/graphql`;
}

/** One urql client per session and language: HTTP for queries and mutations (Bearer token,
 * Accept-Language so the API's messages come in the chosen language), one graphql-transport-ws
 * socket for everything live (token in connection_init). */
// The server closes with these when the session is bad, revoked or expired: sign out, do not retry.
const AUTH_CLOSE_CODES = [4401, 4403];
const closeCode = (event: unknown) => (event && typeof event === "object" && "code" in event ? (event as { code: number }).code : 0);

function buildClient(token: string | null, lang: Lang, onSessionEnded: () => void): { client: Client; ws: WSClient | null } {
  const ws = token
    ? createWSClient({
        url: wsUrl(),
        connectionParams: { authorization: `Bearer ${token}` },
        lazy: true,
        retryAttempts: Infinity,
        shouldRetry: (event) => !AUTH_CLOSE_CODES.includes(closeCode(event)),
        on: {
          closed: (event) => {
            if (AUTH_CLOSE_CODES.includes(closeCode(event))) onSessionEnded();
          },
        },
      })
    : null;
  const exchanges = [cacheExchange, fetchExchange];
  if (ws) {
    exchanges.push(
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || "" };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    );
  }
  const client = new Client({
    url: "/graphql",
    exchanges,
    requestPolicy: "cache-and-network",
    fetchOptions: () => ({
      headers: {
        "Accept-Language": lang === "ro" ? "ro" : "en",
        // file uploads (multipart) are accepted only with it: a page on another origin cannot send it without asking
        "GraphQL-Preflight": "1",
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
    }),
  });
  return { client, ws };
}

export function SessionProvider({ lang, children }: { lang: Lang; children: ReactNode }) {
  const [token, setToken] = useState<string | null>(() => localStorage.getItem(TOKEN_KEY));
  const signIn = useCallback((t: string) => {
    localStorage.setItem(TOKEN_KEY, t);
    setToken(t);
  }, []);
  const signOut = useCallback(() => {
    localStorage.removeItem(TOKEN_KEY);
    setToken(null);
  }, []);
  const built = useMemo(() => buildClient(token, lang, signOut), [token, lang, signOut]);
  useEffect(() => () => void built.ws?.dispose(), [built]);
  const session = useMemo(() => ({ token, signIn, signOut }), [token, signIn, signOut]);
  return (
    <SessionContext.Provider value={session}>
      <Provider value={built.client}>{children}</Provider>
    </SessionContext.Provider>
  );
}
