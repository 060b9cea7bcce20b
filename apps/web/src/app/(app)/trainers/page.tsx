import type { Metadata } from "next";
import { TrainersView } from "./trainers-view.tsx";

export const metadata: Metadata = { title: "Trainers" };

export default function TrainersPage() {
  return <TrainersView />;
}
