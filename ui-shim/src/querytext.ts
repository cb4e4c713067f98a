//! Reads query-box text (whether it is a direct expression or natural language, and which
//! sort it asks for), puts the view the server reports into words, and splits a long refusal
//! into a toast and the explanation under the query box.

/** Direct filters and pandas expressions go as-is; anything that reads like a sentence is NL. */
export function looksLikeExpression(q: string): boolean {
  const s = q.trim();
  if (s === "") return true;
  if (s.startsWith("@")) return false;
  if (/^(sortby|tag:|not\s|discarded\b)/i.test(s)) return true;
  if (/(==|!=|>=|<=|[<>]|\.isin\(|\.str\.|\band\b.*[=<>]|`)/.test(s)) return true;
  // `label in [1, 2]`, `label not in (4, 5)`, `loss between 0.2 and 0.5`
  if (/^[A-Za-z_][\w:]*\s+(not\s+)?in\s*[[(]/.test(s) || /^[A-Za-z_][\w:]*\s+between\s+[-\d.]/.test(s)) return true;
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

/** A sort key of the view, as GetView reports it. */
export interface ViewKey {
  column: string;
  descending: boolean;
}

/** The view in force, in words for the line under the query box ("" for the whole table in
 *  row order): each filter, the sort, the limit. `head:5` reads "first 5". */
export function describeView(filters: readonly string[], sort: readonly ViewKey[], limit: string, windowSorts = 0): string {
  const parts: string[] = [];
  if (filters.length) parts.push(filters.join(" and "));
  if (sort.length) parts.push(`sorted by ${sort.map((k) => `${k.column} ${k.descending ? "↓" : "↑"}`).join(", ")}`);
  const m = /^(head|tail):(\d+)$/.exec(limit);
  if (m) parts.push(`${m[1] === "head" ? "first" : "last"} ${Number(m[2]).toLocaleString("en-US")}`);
  else if (limit) parts.push(limit);
  if (windowSorts > 0) parts.push(`${windowSorts} re-sorted window${windowSorts === 1 ? "" : "s"}`);
  return parts.join(" · ");
}

/** The sort controls' column and direction for the view's sort (its first key; no key is the
 *  table's own order, "index ↑"). */
export function sortControl(sort: readonly ViewKey[]): { column: string; dir: "asc" | "desc" } {
  const first = sort[0];
  return first ? { column: first.column, dir: first.descending ? "desc" : "asc" } : { column: "index", dir: "asc" };
}

/** A refused query's server message, split for display: a short toast, and the whole
 *  explanation (phrases understood, examples) for the line under the query box when it is long. */
export function refusal(message: string): { toast: string; detail: string } {
  const text = message.trim().replace(/^query not understood:\s*/i, "");
  if (!text) return { toast: "The query was not understood. Example: loss > 0.5 and label == 3", detail: "" };
  const head = `The query was not understood: ${text}`;
  if (head.length <= 140) return { toast: head, detail: "" };
  const cut = text.search(/[;:](\s|$)/);
  const short = cut > 0 && cut < 120 ? text.slice(0, cut) : `${text.slice(0, 110).replace(/\s+\S*$/, "")}…`;
  return { toast: `The query was not understood: ${short}. See the explanation under the query box.`, detail: text };
}
