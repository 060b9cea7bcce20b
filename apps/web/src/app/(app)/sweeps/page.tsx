import type { Metadata } from "next";
import { SweepsView } from "./sweeps-view.tsx";

export const metadata: Metadata = { title: "Sweeps" };

export default function SweepsPage() {
  return <SweepsView />;
}
