import type { Metadata } from "next";
import { Suspense } from "react";
import { Loading } from "@/components/states.tsx";
import { FineTuneForm } from "./fine-tune-form.tsx";

export const metadata: Metadata = { title: "New fine-tune" };

export default function NewFineTunePage() {
  return (
    <Suspense fallback={<Loading />}>
      <FineTuneForm />
    </Suspense>
  );
}
