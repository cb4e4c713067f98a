//! CPU time of a process tree from `/proc` (Linux): the bench measures the app's idle CPU,
//! WebKit's helper processes included, with it.

use std::collections::{BTreeMap, BTreeSet};

/// One process's line of `/proc/<pid>/stat`, the fields the bench needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    pub pid: u32,
    pub ppid: u32,
    /// User plus system time, in clock ticks.
    pub cpu_ticks: u64,
}

/// Parses a stat line. The command name is in parentheses and may itself hold spaces and
/// parentheses, so the fields are counted from the last `)`.
pub fn parse_stat(line: &str) -> Option<ProcStat> {
    let (head, tail) = line.rsplit_once(')')?;
    let pid = head.split_once('(')?.0.trim().parse().ok()?;
    // After ")": state(3) ppid(4) ... utime(14) stime(15), numbered from 1 over the line.
    let fields: Vec<&str> = tail.split_whitespace().collect();
    let ppid = fields.get(1)?.parse().ok()?;
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(ProcStat {
        pid,
        ppid,
        cpu_ticks: utime + stime,
    })
}

/// `root` and every process below it.
pub fn tree(stats: &[ProcStat], root: u32) -> BTreeSet<u32> {
    let mut children: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for stat in stats {
        children.entry(stat.ppid).or_default().push(stat.pid);
    }
    let mut found = BTreeSet::new();
    let mut stack = vec![root];
    while let Some(pid) = stack.pop() {
        if found.insert(pid) {
            stack.extend(children.get(&pid).into_iter().flatten().copied());
        }
    }
    found
}

/// Every readable process now (processes that vanish while scanning are skipped).
pub fn snapshot() -> Vec<ProcStat> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|entry| std::fs::read_to_string(entry.path().join("stat")).ok())
        .filter_map(|line| parse_stat(&line))
        .collect()
}

/// CPU ticks used so far by `root` and its descendants, per process.
pub fn tree_ticks(root: u32) -> BTreeMap<u32, u64> {
    let stats = snapshot();
    let members = tree(&stats, root);
    stats
        .into_iter()
        .filter(|stat| members.contains(&stat.pid))
        .map(|stat| (stat.pid, stat.cpu_ticks))
        .collect()
}

/// Ticks used between two samples, counting only processes alive in both.
pub fn ticks_between(before: &BTreeMap<u32, u64>, after: &BTreeMap<u32, u64>) -> u64 {
    after
        .iter()
        .filter_map(|(pid, ticks)| before.get(pid).map(|old| ticks.saturating_sub(*old)))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_with_spaces_and_parentheses() {
        let line = "4242 (Web Content (x)) S 4200 4242 4242 0 -1 4194560 100 0 0 0 17 5 0 0 20 0 3 0 1000 0 0";
        assert_eq!(
            parse_stat(line),
            Some(ProcStat {
                pid: 4242,
                ppid: 4200,
                cpu_ticks: 22
            })
        );
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn tree_follows_parents() {
        let stats = [
            ProcStat {
                pid: 1,
                ppid: 0,
                cpu_ticks: 0,
            },
            ProcStat {
                pid: 10,
                ppid: 1,
                cpu_ticks: 5,
            },
            ProcStat {
                pid: 11,
                ppid: 10,
                cpu_ticks: 7,
            },
            ProcStat {
                pid: 12,
                ppid: 11,
                cpu_ticks: 1,
            },
            ProcStat {
                pid: 20,
                ppid: 1,
                cpu_ticks: 9,
            },
        ];
        assert_eq!(tree(&stats, 10), BTreeSet::from([10, 11, 12]));
    }

    #[test]
    fn between_ignores_processes_that_came_or_went() {
        let before = BTreeMap::from([(1, 10), (2, 5)]);
        let after = BTreeMap::from([(1, 14), (3, 100)]);
        assert_eq!(ticks_between(&before, &after), 4);
    }

    #[test]
    fn own_process_is_readable() {
        let me = std::process::id();
        let ticks = tree_ticks(me);
        assert!(ticks.contains_key(&me));
    }
}
