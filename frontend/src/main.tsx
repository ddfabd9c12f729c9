import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "@/app/App";
import { createQueryClient } from "@/app/query-client";
import { createAppRouter } from "@/app/router";
import { initTheme } from "@/features/theme/theme";
import { initI18n } from "@/i18n";
import "./index.css";

initTheme();
initI18n();

const queryClient = createQueryClient();
const router = createAppRouter({ queryClient });

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");

createRoot(root).render(
  <StrictMode>
    <App queryClient={queryClient} router={router} />
  </StrictMode>,
);
