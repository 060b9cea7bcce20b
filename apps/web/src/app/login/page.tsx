import type { Metadata } from "next";
import { LoginForm } from "./login-form.tsx";

export const metadata: Metadata = { title: "Log in" };

export default function LoginPage() {
  return (
    <div className="login">
      <div className="login-card">
        <h1>Graft</h1>
        <p className="muted">Transfer-learning experiments, live.</p>
        <LoginForm />
      </div>
    </div>
  );
}
