//! Comparing two revisions of a record, line by line.
/// One line of a side-by-side comparison: the left and the right line, either absent where the
/// other side has a line the first lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub left: Option<String>,
    pub right: Option<String>,
}

impl DiffLine {
    pub fn changed(&self) -> bool {
        self.left != self.right
    }
}

/// Lines a comparison reads on either side, and bytes. A real record is a few hundred lines; a
/// whole record of [`super::RECORD_MAX`] characters can be split into far more, which are not compared.
pub const COMPARE_MAX_LINES: usize = 5_000;
pub const COMPARE_MAX_BYTES: usize = 1_000_000;
/// After this the comparison settles for a coarser (still correct) answer.
const COMPARE_DEADLINE: std::time::Duration = std::time::Duration::from_millis(300);

/// Compares two texts line by line (Myers' algorithm in linear space, with a deadline). None when
/// either side is over the caps: too long to compare. CPU-bound: run it off the async workers.
pub fn compare(a: &[String], b: &[String]) -> Option<Vec<DiffLine>> {
    let size = |s: &[String]| s.iter().map(String::len).sum::<usize>();
    if a.len().max(b.len()) > COMPARE_MAX_LINES || size(a).max(size(b)) > COMPARE_MAX_BYTES {
        return None;
    }
    let deadline = std::time::Instant::now() + COMPARE_DEADLINE;
    let ops = similar::capture_diff_slices_deadline(similar::Algorithm::Myers, a, b, Some(deadline));
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    for op in ops {
        let (_, left, right) = op.as_tag_tuple();
        // Equal runs pair up; a replaced run pairs its lines side by side, the longer side's rest alone.
        for k in 0..left.len().max(right.len()) {
            let pick = |side: &[String], range: &std::ops::Range<usize>| {
                (k < range.len()).then(|| side[range.start + k].clone())
            };
            out.push(DiffLine { left: pick(a, &left), right: pick(b, &right) });
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison_pairs_equal_lines_and_marks_the_rest() {
        let a: Vec<String> = ["1", "2", "3"].map(String::from).to_vec();
        let b: Vec<String> = ["1", "2b", "3", "4"].map(String::from).to_vec();
        let d = compare(&a, &b).expect("within the caps");
        let changed: Vec<(Option<&str>, Option<&str>)> =
            d.iter().filter(|l| l.changed()).map(|l| (l.left.as_deref(), l.right.as_deref())).collect();
        // A changed line stands beside its new text.
        assert_eq!(changed, [(Some("2"), Some("2b")), (None, Some("4"))]);
        assert_eq!(d.iter().filter(|l| !l.changed()).count(), 2);
    }

    #[test]
    fn comparison_of_what_no_record_holds_is_refused() {
        let lines = |n: usize, tag: &str| (0..n).map(|i| format!("{tag}{i}")).collect::<Vec<String>>();
        // Over the caps: not compared at all.
        assert!(compare(&lines(COMPARE_MAX_LINES + 1, "a"), &lines(1, "a")).is_none());
        let wide = vec!["x".repeat(COMPARE_MAX_BYTES + 1)];
        assert!(compare(&wide, &lines(1, "a")).is_none());
        // At the caps, two sides with nothing in common (Myers' worst case): every line shows once.
        let (a, b) = (lines(COMPARE_MAX_LINES, "a"), lines(COMPARE_MAX_LINES, "b"));
        let d = compare(&a, &b).expect("within the caps");
        assert_eq!(d.iter().filter(|l| l.left.is_some()).count(), COMPARE_MAX_LINES);
        assert_eq!(d.iter().filter(|l| l.right.is_some()).count(), COMPARE_MAX_LINES);
    }
}
