//! "Did you mean" suggestions: the known names closest to a name that was not found.

/// At most this many suggestions are returned.
const MAX_SUGGESTIONS: usize = 3;

/// The names in `known` closest to `unknown`, best first (at most three; empty when nothing
/// is close). Case is ignored when comparing.
///
/// ```
/// let known = vec!["loss".to_string(), "label".to_string(), "origin".to_string()];
/// assert_eq!(weightslab_query::suggest("los", &known), vec!["loss"]);
/// ```
pub fn suggest(unknown: &str, known: &[String]) -> Vec<String> {
    let needle = unknown.to_lowercase();
    let mut scored: Vec<(f64, &String)> = known
        .iter()
        .filter_map(|name| {
            let candidate = name.to_lowercase();
            score(&needle, &candidate).map(|s| (s, name))
        })
        .collect();
    // Best score first; names break ties so the order does not depend on `known`'s order.
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored
        .into_iter()
        .take(MAX_SUGGESTIONS)
        .map(|(_, name)| name.clone())
        .collect()
}

/// Similarity in 0..=1, or `None` when the two names are too far apart to suggest.
fn score(needle: &str, candidate: &str) -> Option<f64> {
    if needle.is_empty() || candidate.is_empty() {
        return None;
    }
    if needle == candidate {
        return Some(1.0);
    }
    let edits = strsim::damerau_levenshtein(needle, candidate);
    let longest = needle.chars().count().max(candidate.chars().count());
    // Short names tolerate one typo; longer ones about one per three characters.
    let allowed = (longest / 3).max(1);
    let jw = strsim::jaro_winkler(needle, candidate);
    let contains = candidate.contains(needle) || needle.contains(candidate);
    if edits <= allowed || jw >= 0.88 || (contains && needle.chars().count() >= 3) {
        let closeness = 1.0 - edits as f64 / longest as f64;
        Some(closeness.max(0.0) * 0.5 + jw * 0.5)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn finds_typos_and_case_differences() {
        let known = names(&["loss", "label", "label_issue", "prediction", "origin"]);
        assert_eq!(suggest("los", &known), vec!["loss"]);
        assert_eq!(suggest("Loss", &known), vec!["loss"]);
        assert_eq!(suggest("predcition", &known), vec!["prediction"]);
        assert_eq!(suggest("lable", &known)[0], "label");
        assert_eq!(suggest("label_isue", &known)[0], "label_issue");
    }

    #[test]
    fn returns_nothing_for_unrelated_names() {
        let known = names(&["loss", "label", "origin"]);
        assert!(suggest("zzzzzz", &known).is_empty());
        assert!(suggest("", &known).is_empty());
        assert!(suggest("loss", &[]).is_empty());
    }

    #[test]
    fn at_most_three_and_deterministic() {
        let known = names(&["tag_a", "tag_b", "tag_c", "tag_d"]);
        let got = suggest("tag_x", &known);
        assert_eq!(got, vec!["tag_a", "tag_b", "tag_c"]);
        let mut reversed = known.clone();
        reversed.reverse();
        assert_eq!(suggest("tag_x", &reversed), got);
    }
}
