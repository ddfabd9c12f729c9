import * as z from "zod/mini";

/**
 * A path inside this app to return to after signing in. Anything that could leave the origin
 * (`//host`, `/\host`, absolute URLs, whitespace or control characters) is rejected, so a crafted
 * link cannot turn the sign-in page into an open redirect.
 */
export const redirectPath = z.string().check(z.maxLength(2048), z.regex(/^\/(?![/\\])[^\\\s\p{Cc}]*$/u));

export const authSearchSchema = z.object({
  redirect: z.catch(z.optional(redirectPath), undefined),
});

/** The codes the OAuth callback sends back to /sign-in?oauth_error=… */
export const oauthErrors = ["email_unverified", "account_exists", "identity_taken", "denied", "failed"] as const;
export type OAuthError = (typeof oauthErrors)[number];

export function oauthErrorCode(value: string): OAuthError {
  return oauthErrors.find((code) => code === value) ?? "failed";
}

export const signInSearchSchema = z.object({
  redirect: z.catch(z.optional(redirectPath), undefined),
  oauth_error: z.catch(z.optional(z.string().check(z.maxLength(50))), undefined),
});

export type AuthSearch = z.infer<typeof authSearchSchema>;

/** /invite?token=…&email=…: the accept link of an invitation. */
export const inviteSearchSchema = z.object({
  token: z.catch(z.optional(z.string().check(z.minLength(1), z.maxLength(200))), undefined),
  email: z.catch(z.optional(z.string().check(z.maxLength(254))), undefined),
});
