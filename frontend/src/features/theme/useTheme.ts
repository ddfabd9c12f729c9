import { useSyncExternalStore } from "react";
import { getTheme, setTheme, subscribeTheme, type Theme } from "./theme";

export function useTheme(): { theme: Theme; setTheme: (theme: Theme) => void } {
  const theme = useSyncExternalStore(subscribeTheme, getTheme, getTheme);
  return { theme, setTheme };
}
