//! Subword windows over a run of words: every window holds at most `max_len` tokens (special
//! tokens included) and starts on a word; consecutive windows overlap by about half a window, and
//! each word is read from the window where it has the most context on both sides, so an entity
//! at a window edge is seen whole in another window.

use std::ops::Range;

/// One encoder input: `<s> pieces… </s>` and, for each word it covers, the position of the word's
/// first piece.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub ids: Vec<i64>,
    /// (word index within the run, token position of its first piece).
    pub firsts: Vec<(usize, usize)>,
}

/// Special token ids.
#[derive(Debug, Clone, Copy)]
pub struct Specials {
    pub cls: i64,
    pub sep: i64,
    pub pad: i64,
}

/// Windows over words given as their subword pieces. Words with no piece get no position (they
/// are read as `O`); a word longer than a window is cut to the window.
pub fn windows(pieces: &[Vec<u32>], max_len: usize, sp: Specials) -> Vec<Window> {
    let budget = max_len.saturating_sub(2).max(1);
    let len = |i: usize| pieces[i].len().min(budget);
    let n = pieces.len();
    let mut out = Vec::new();
    let mut start = 0;
    while start < n {
        let mut end = start;
        let mut used = 0;
        while end < n && used + len(end) <= budget {
            used += len(end);
            end += 1;
        }
        out.push(build(pieces, start..end, budget, sp));
        if end >= n {
            break;
        }
        // next window starts about half a window later, always moving forward
        let mut next = start;
        let mut skipped = 0;
        while next < end && (skipped < budget / 2 || next == start) {
            skipped += len(next);
            next += 1;
        }
        start = next;
    }
    out
}

fn build(pieces: &[Vec<u32>], words: Range<usize>, budget: usize, sp: Specials) -> Window {
    let mut ids = vec![sp.cls];
    let mut firsts = Vec::with_capacity(words.len());
    for w in words {
        if !pieces[w].is_empty() {
            firsts.push((w, ids.len()));
        }
        ids.extend(pieces[w].iter().take(budget).map(|&p| p as i64));
    }
    ids.push(sp.sep);
    Window { ids, firsts }
}

/// For each word of a run, the (window, position) it is read from: the window where its first
/// piece is farthest from both window edges. `None` for words without pieces.
pub fn best_reads(windows: &[Window], n_words: usize) -> Vec<Option<(usize, usize)>> {
    let mut best: Vec<Option<(usize, usize, usize)>> = vec![None; n_words];
    for (wi, w) in windows.iter().enumerate() {
        let last = w.ids.len() - 1;
        for &(word, pos) in &w.firsts {
            let margin = pos.min(last - pos);
            if best[word].is_none_or(|(_, _, m)| margin > m) {
                best[word] = Some((wi, pos, margin));
            }
        }
    }
    best.into_iter().map(|b| b.map(|(w, p, _)| (w, p))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SP: Specials = Specials { cls: 0, sep: 2, pad: 1 };

    #[test]
    fn short_run_is_one_window() {
        let pieces = vec![vec![10], vec![11, 12], vec![], vec![13]];
        let w = windows(&pieces, 16, SP);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].ids, vec![0, 10, 11, 12, 13, 2]);
        assert_eq!(w[0].firsts, vec![(0, 1), (1, 2), (3, 4)]);
        let reads = best_reads(&w, 4);
        assert_eq!(reads, vec![Some((0, 1)), Some((0, 2)), None, Some((0, 4))]);
    }

    #[test]
    fn long_runs_overlap_and_every_word_is_read_away_from_edges() {
        for max_len in [6usize, 10, 33, 130] {
            let pieces: Vec<Vec<u32>> = (0..500u32).map(|i| vec![100 + i; 1 + (i % 3) as usize]).collect();
            let ws = windows(&pieces, max_len, SP);
            assert!(ws.len() > 1);
            assert!(ws.iter().all(|w| w.ids.len() <= max_len && w.ids[0] == 0 && *w.ids.last().unwrap() == 2));
            let reads = best_reads(&ws, pieces.len());
            assert!(reads.iter().all(|r| r.is_some()), "every word read");
            if max_len >= 33 {
                // apart from the run's own ends, words are read with context on both sides
                for (i, r) in reads.iter().enumerate().skip(max_len / 2).take(pieces.len() - max_len) {
                    let (w, p) = r.unwrap();
                    let margin = p.min(ws[w].ids.len() - 1 - p);
                    assert!(margin >= max_len / 5, "word {i} read at margin {margin} (max_len {max_len})");
                }
            }
        }
    }

    #[test]
    fn oversized_word_is_cut_and_progress_is_made() {
        let pieces = vec![vec![5; 40], vec![6], vec![7; 3]];
        let ws = windows(&pieces, 8, SP);
        assert!(ws.iter().all(|w| w.ids.len() <= 8));
        assert!(best_reads(&ws, 3).iter().all(|r| r.is_some()));
    }
}
