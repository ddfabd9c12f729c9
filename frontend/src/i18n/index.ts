import i18n from "i18next";
import { initReactI18next } from "react-i18next";
import de from "./locales/de.json";
import en from "./locales/en.json";

/** Every locale the app ships; English is the reference and the fallback. */
export const resources = {
  en: { translation: en },
  de: { translation: de },
} as const;

export type Language = keyof typeof resources;
export const languages = Object.keys(resources) as Language[];
export const fallbackLanguage: Language = "en";

const storageKey = "datanika.language";

export function isLanguage(value: unknown): value is Language {
  return typeof value === "string" && Object.hasOwn(resources, value);
}

/** The stored choice, else the first browser language we ship, else English. */
export function detectLanguage(): Language {
  const stored = readStoredLanguage();
  if (stored) return stored;
  for (const tag of navigator.languages) {
    const base = tag.toLowerCase().split("-")[0];
    if (isLanguage(base)) return base;
  }
  return fallbackLanguage;
}

function readStoredLanguage(): Language | null {
  try {
    const value = localStorage.getItem(storageKey);
    return isLanguage(value) ? value : null;
  } catch {
    return null;
  }
}

/** Switches the UI language and remembers the choice in this browser. */
export async function changeLanguage(language: Language): Promise<void> {
  try {
    localStorage.setItem(storageKey, language);
  } catch {
    // Storage may be unavailable (private mode, quota); the switch still applies to this tab.
  }
  await i18n.changeLanguage(language);
}

i18n.on("languageChanged", (language) => {
  document.documentElement.lang = language;
});

/** Initialises i18next synchronously with the bundled locales. */
export function initI18n(language: Language = detectLanguage()): typeof i18n {
  if (!i18n.isInitialized) {
    void i18n.use(initReactI18next).init({
      resources,
      lng: language,
      fallbackLng: fallbackLanguage,
      supportedLngs: languages,
      initAsync: false,
      interpolation: { escapeValue: false },
      returnEmptyString: false,
    });
  } else if (i18n.language !== language) {
    void i18n.changeLanguage(language);
  }
  document.documentElement.lang = language;
  return i18n;
}

export { i18n };
