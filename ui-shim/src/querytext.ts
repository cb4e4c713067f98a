//! Reads query-box text: whether it is a direct expression or natural language, and which
//! sort it asks for.

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

/** The first sort key of a direct expression (`loss > 1 sortby loss desc, label asc`,
 *  `sort by confidence`), so the sort controls can show it; undefined when it sorts nothing. */
export function firstSortKey(q: string): { column: string; dir: "asc" | "desc" } | undefined {
  const m = /(?:^|[\s|])sort\s*by\s+(`[^`]+`|[^\s,]+)(?:\s+(asc|desc)\b)?/i.exec(q);
  if (!m) return undefined;
  const column = m[1].replace(/^`|`$/g, "");
  return { column, dir: (m[2]?.toLowerCase() as "asc" | "desc" | undefined) ?? "asc" };
}
