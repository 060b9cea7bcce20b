import type { Metadata } from "next";
import { DatasetsView } from "./datasets-view.tsx";

export const metadata: Metadata = { title: "Datasets" };

export default function DatasetsPage() {
  return <DatasetsView />;
}
