import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// `npm run dev` proxies the API to a service started with `./dev serve` (default port 8000).
const api = process.env.PORTOFOLIU_API ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", sourcemap: false },
  server: {
    proxy: {
      "/graphql": { target: api, ws: true },
      "/anaf": api,
      "/_sandbox": api,
      "/_outbox": api,
    },
  },
});
