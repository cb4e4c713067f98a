//! Cell colours: the split colour, fixed for the usual split names so it means the same thing in
//! every run, and the loss heat from green (0) to red (3 and more).

const KNOWN: Record<string, string> = {
  train: "#4f8cff",
  training: "#4f8cff",
  train_loader: "#4f8cff",
  val: "#e0a93b",
  validation: "#e0a93b",
  eval: "#e0a93b",
  test: "#c46bdc",
  test_loader: "#c46bdc",
};
const PALETTE = ["#3fb98a", "#e2655f", "#5fc3d6", "#d4c45a", "#a98bf0", "#f08bbd"];

export function splitColor(origin: string): string {
  const known = KNOWN[origin.toLowerCase()];
  if (known) return known;
  let h = 0;
  for (let i = 0; i < origin.length; i++) h = (h * 31 + origin.charCodeAt(i)) >>> 0;
  return PALETTE[h % PALETTE.length];
}

/** The loss badge colour, as a plain colour: a custom property set per cell would make every
 *  element under it recompute its style when a cell is repainted. */
export function lossColor(loss: number | undefined): string {
  const heat = Math.min(1, Math.max(0, (loss ?? 0) / 3));
  return `hsl(${Math.round(120 - heat * 120)}, 70%, 65%)`;
}
