import { QueryClient } from "@tanstack/react-query";
import { createMemoryHistory } from "@tanstack/react-router";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { App } from "@/app/App";
import { createAppRouter } from "@/app/router";

/** Renders the whole app (router, query client, shell) at a path, as a browser would load it. */
export async function renderApp(path = "/") {
  const queryClient = new QueryClient({
    defaultOptions: { queries: { retry: false, gcTime: Infinity } },
  });
  const history = createMemoryHistory({ initialEntries: [path] });
  const router = createAppRouter({ queryClient, history });
  const user = userEvent.setup();
  const result = render(<App queryClient={queryClient} router={router} />);
  // Pages are lazily loaded: wait for the first one to show its heading.
  await screen.findByRole("heading", { level: 1 });
  return { ...result, router, queryClient, user };
}
