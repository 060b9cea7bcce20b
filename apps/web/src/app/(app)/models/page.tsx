import type { Metadata } from "next";
import { Suspense } from "react";
import { Loading } from "@/components/states.tsx";
import { LineageView } from "./lineage-view.tsx";

export const metadata: Metadata = { title: "Models and lineage" };

export default function ModelsPage() {
  return (
    <Suspense fallback={<Loading />}>
      <LineageView />
    </Suspense>
  );
}
