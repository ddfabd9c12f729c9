/** The password rules of SPEC §4, checked before the server checks them again. */
export type PasswordProblem = "tooShort" | "tooLong" | "equalsEmail";

export const passwordMinLength = 10;
export const passwordMaxBytes = 72;

export function passwordProblem(password: string, email: string): PasswordProblem | null {
  if (Array.from(password).length < passwordMinLength) return "tooShort";
  if (new TextEncoder().encode(password).length > passwordMaxBytes) return "tooLong";
  if (email.trim() !== "" && password.trim().toLowerCase() === email.trim().toLowerCase()) return "equalsEmail";
  return null;
}

/** A pragmatic check; the server has the last word. */
export function looksLikeEmail(value: string): boolean {
  return /^[^\s@]+@[^\s@]+$/.test(value.trim());
}
