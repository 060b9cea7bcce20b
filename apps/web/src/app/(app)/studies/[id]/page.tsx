import type { Metadata } from "next";
import { StudyView } from "./study-view.tsx";

export const metadata: Metadata = { title: "Study" };

export default async function StudyPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <StudyView id={id} />;
}
