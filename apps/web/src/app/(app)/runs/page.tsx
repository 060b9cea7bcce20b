import type { Metadata } from "next";
import { Suspense } from "react";
import { Loading } from "@/components/states.tsx";
import { RunsTable } from "./runs-table.tsx";

export const metadata: Metadata = { title: "Runs" };

export default function RunsPage() {
  return (
    <Suspense fallback={<Loading />}>
      <RunsTable />
    </Suspense>
  );
}
