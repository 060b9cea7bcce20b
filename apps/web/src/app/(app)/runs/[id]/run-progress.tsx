import type { ProgressFieldsFragment } from "@graft/client";

const PHASES: Record<ProgressFieldsFragment["phase"], string> = {
  DOWNLOADING: "Downloading",
  PREPROCESSING: "Preprocessing",
  EXTRACTING_FEATURES: "Extracting features",
  TRAINING: "Training",
  EVALUATING: "Evaluating",
};

function eta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/**
 * What the trainer is doing inside the current epoch: phase, a bar of done/total and an ETA.
 * A phase with an unknown total shows an indeterminate bar.
 */
export function RunProgressBar({ progress }: { progress: ProgressFieldsFragment }) {
  const { phase, done, total, epoch, epochs, etaSeconds } = progress;
  const label = [
    epoch !== null && epochs !== null ? `${PHASES[phase]} epoch ${epoch}/${epochs}` : PHASES[phase],
    total > 0 ? `${done} / ${total}` : null,
    etaSeconds !== null ? `ETA ${eta(etaSeconds)}` : null,
  ]
    .filter(Boolean)
    .join(" · ");
  return (
    <section className="panel run-progress" aria-label="Progress" data-testid="run-progress" data-phase={phase}>
      <div className="run-progress-label">{label}</div>
      {total > 0 ? <progress value={Math.min(done, total)} max={total} /> : <progress />}
    </section>
  );
}
