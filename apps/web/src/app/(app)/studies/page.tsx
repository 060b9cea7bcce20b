import type { Metadata } from "next";
import { StudiesView } from "./studies-view.tsx";

export const metadata: Metadata = { title: "Studies" };

export default function StudiesPage() {
  return <StudiesView />;
}
