/** What a list shows when it has nothing in it. */
export function EmptyState({ children }: { children: string }) {
  return <p className="rounded-lg border border-dashed px-4 py-8 text-center text-sm text-muted-foreground">{children}</p>;
}
