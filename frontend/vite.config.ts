import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The bundle is written into the Django app's static folder and served by Django
// under /static/frontend/; Django renders index.html for every page route.
export default defineConfig({
  plugins: [react()],
  base: "/static/frontend/",
  build: {
    outDir: "static/frontend",
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
  },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:8000",
      "/ws": { target: "ws://127.0.0.1:8000", ws: true },
    },
  },
  test: {
    environment: "jsdom",
    globals: true,
    include: ["src/**/*.test.ts", "src/**/*.test.tsx"],
  },
});
