"use client";
import { useState, type FormEvent } from "react";
import { errorMessage, isApiError } from "@/shared/api";
import { Alert, Button, Field, Input } from "@/shared/ui";
import { useAcceptInvitation, useLogin, useSignup } from "../api/auth-api";

function fieldErr(err: unknown, field: string): string | undefined {
  return isApiError(err) ? err.fieldError(field) : undefined;
}

export function LoginForm({ onDone }: { onDone: () => void }) {
  const login = useLogin();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    login.mutate({ email, password }, { onSuccess: onDone });
  };
  return (
    <form onSubmit={submit} className="space-y-4" noValidate>
      {login.isError && <Alert>{isApiError(login.error) && login.error.status === 401 ? "Wrong email or password." : errorMessage(login.error)}</Alert>}
      <Field label="Email" required>
        {(p) => <Input {...p} type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} data-testid="login-email" />}
      </Field>
      <Field label="Password" required>
        {(p) => (
          <Input {...p} type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} data-testid="login-password" />
        )}
      </Field>
      <Button type="submit" variant="primary" className="w-full" loading={login.isPending} data-testid="login-submit">
        Log in
      </Button>
    </form>
  );
}

export function SignupForm({ onDone }: { onDone: () => void }) {
  const signup = useSignup();
  const [v, setV] = useState({ name: "", email: "", password: "", workspaceName: "" });
  const set = (k: keyof typeof v) => (e: { target: { value: string } }) => setV((s) => ({ ...s, [k]: e.target.value }));
  const [local, setLocal] = useState<Record<string, string>>({});
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!v.name.trim()) errs.name = "Tell us your name.";
    if (!/^\S+@\S+\.\S+$/.test(v.email)) errs.email = "Enter a valid email address.";
    if (v.password.length < 10) errs.password = "Use at least 10 characters.";
    if (!v.workspaceName.trim()) errs.workspaceName = "Name your workspace, e.g. your company.";
    setLocal(errs);
    if (Object.keys(errs).length) return;
    signup.mutate(v, { onSuccess: onDone });
  };
  const err = (k: string) => local[k] ?? fieldErr(signup.error, k);
  return (
    <form onSubmit={submit} className="space-y-4" noValidate>
      {signup.isError && <Alert>{errorMessage(signup.error)}</Alert>}
      <Field label="Your name" required error={err("name")}>
        {(p) => <Input {...p} autoComplete="name" value={v.name} onChange={set("name")} data-testid="signup-name" />}
      </Field>
      <Field label="Work email" required error={err("email")}>
        {(p) => <Input {...p} type="email" autoComplete="email" value={v.email} onChange={set("email")} data-testid="signup-email" />}
      </Field>
      <Field label="Password" required error={err("password")} hint="At least 10 characters and hard to guess: a few unrelated words work well; common passwords and your own name or email are refused.">
        {(p) => <Input {...p} type="password" autoComplete="new-password" value={v.password} onChange={set("password")} data-testid="signup-password" />}
      </Field>
      <Field label="Workspace name" required error={err("workspaceName")} hint="Usually your company or team.">
        {(p) => <Input {...p} autoComplete="organization" value={v.workspaceName} onChange={set("workspaceName")} data-testid="signup-workspace" />}
      </Field>
      <Button type="submit" variant="primary" className="w-full" loading={signup.isPending} data-testid="signup-submit">
        Create account
      </Button>
    </form>
  );
}

export function AcceptInvitationForm({ token, onDone, signedInAs }: { token: string; onDone: () => void; signedInAs?: string }) {
  const accept = useAcceptInvitation();
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    accept.mutate({ token, name: name || undefined, password: password || undefined }, { onSuccess: onDone });
  };
  return (
    <form onSubmit={submit} className="space-y-4" noValidate>
      {accept.isError && <Alert>{errorMessage(accept.error)}</Alert>}
      {signedInAs ? (
        <p className="text-sm text-slate-600" data-testid="invite-signed-in">
          You are signed in as <strong className="font-medium text-slate-900">{signedInAs}</strong>. Accept to add the workspace to your account.
        </p>
      ) : (
        <>
          <p className="text-sm text-slate-600">New to NextFlow? Choose your name and a password. Already have an account? Enter its password.</p>
          <Field label="Your name" hint="Only for a new account." error={fieldErr(accept.error, "name")}>
            {(p) => <Input {...p} autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} data-testid="invite-name" />}
          </Field>
          <Field label="Password" hint="For a new account: at least 10 characters and hard to guess (common passwords and your own name or email are refused)." error={fieldErr(accept.error, "password")}>
            {(p) => <Input {...p} type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} data-testid="invite-password" />}
          </Field>
        </>
      )}
      <Button type="submit" variant="primary" className="w-full" loading={accept.isPending} data-testid="invite-accept">
        Accept invitation
      </Button>
    </form>
  );
}
