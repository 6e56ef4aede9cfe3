export { authApi, useLogin, useSignup, useLogout, useAcceptInvitation } from "./api/auth-api";
export type { SignupBody } from "./api/auth-api";
export { LoginForm, SignupForm, AcceptInvitationForm } from "./ui/forms";
export { AuthShell } from "./ui/auth-shell";
