"use client";
import type { ViewerQuery } from "@graft/client";
import Link from "next/link";
import { usePathname } from "next/navigation";

const LINKS = [
  { href: "/", label: "Overview" },
  { href: "/runs", label: "Runs" },
  { href: "/studies", label: "Studies" },
  { href: "/sweeps", label: "Sweeps" },
  { href: "/new", label: "New fine-tune" },
  { href: "/models", label: "Models" },
  { href: "/datasets", label: "Datasets" },
  { href: "/trainers", label: "Trainers" },
] as const;

function isActive(pathname: string, href: string): boolean {
  return href === "/" ? pathname === "/" : pathname === href || pathname.startsWith(`${href}/`);
}

/** `viewer` is null when the gateway could not say who is logged in (unreachable). */
export function Nav({ viewer }: { viewer: ViewerQuery["viewer"] | null }) {
  const pathname = usePathname();
  const links = viewer?.role === "ADMIN" ? [...LINKS, { href: "/settings", label: "Settings" }] : LINKS;
  async function logout() {
    await fetch("/api/login", { method: "DELETE" });
    window.location.assign("/login");
  }
  return (
    <nav className="nav" aria-label="Main">
      <Link href="/" className="brand">
        <span className="brand-mark" aria-hidden="true">
          G
        </span>
        Graft
      </Link>
      <ul>
        {links.map((link) => (
          <li key={link.href}>
            <Link href={link.href} aria-current={isActive(pathname, link.href) ? "page" : undefined}>
              {link.label}
            </Link>
          </li>
        ))}
      </ul>
      {viewer ? (
        <p className="nav-viewer muted" title={`API key ${viewer.keyName} (${viewer.role})`}>
          {viewer.projectName} · {viewer.role.toLowerCase()}
        </p>
      ) : null}
      <button type="button" className="nav-logout" onClick={logout}>
        Log out
      </button>
    </nav>
  );
}
