import type { Metadata } from "next";
import { SweepView } from "./sweep-view.tsx";

export const metadata: Metadata = { title: "Sweep" };

export default async function SweepPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <SweepView id={id} />;
}
