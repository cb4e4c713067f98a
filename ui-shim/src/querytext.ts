//! Decides whether query-box text is a direct expression or natural language.

/** Direct filters and pandas expressions go as-is; anything that reads like a sentence is NL. */
export function looksLikeExpression(q: string): boolean {
  const s = q.trim();
  if (s === "") return true;
  if (s.startsWith("@")) return false;
  if (/^(sortby|tag:|not\s|discarded\b)/i.test(s)) return true;
  if (/(==|!=|>=|<=|[<>]|\.isin\(|\.str\.|\band\b.*[=<>]|`)/.test(s)) return true;
  if (/^[A-Za-z_][\w:]*$/.test(s)) return true;
  return false;
}
