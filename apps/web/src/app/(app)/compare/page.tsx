import type { Metadata } from "next";
import { Suspense } from "react";
import { Loading } from "@/components/states.tsx";
import { CompareView } from "./compare-view.tsx";

export const metadata: Metadata = { title: "Compare runs" };

export default function ComparePage() {
  return (
    <Suspense fallback={<Loading />}>
      <CompareView />
    </Suspense>
  );
}
