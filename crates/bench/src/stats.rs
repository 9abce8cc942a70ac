//! Percentiles and medians: plain sorting and nearest-rank, so figures are exact
//! and easy to check by hand (no histogram bucketing error).

/// Latency percentiles of one run, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencySummary {
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Nearest-rank percentile of an ascending slice: the smallest value such that at
/// least `p` % of the samples are <= it. `None` for an empty slice.
pub fn percentile(sorted: &[u32], p: f64) -> Option<u32> {
    let n = sorted.len() as u64;
    if n == 0 {
        return None;
    }
    // Integer arithmetic in hundredths of a percent: `0.99 * 100` in floating
    // point is not exactly 99 and would shift the rank by one.
    let hundredths = (p.clamp(0.0, 100.0) * 100.0).round() as u64;
    let rank = (hundredths * n).div_ceil(10_000).clamp(1, n);
    usize::try_from(rank - 1)
        .ok()
        .and_then(|i| sorted.get(i))
        .copied()
}

/// Summarises microsecond samples (sorted in place). `None` when there are none.
pub fn summarize(samples_us: &mut [u32]) -> Option<LatencySummary> {
    samples_us.sort_unstable();
    let ms = |p: f64| percentile(samples_us, p).map(|us| f64::from(us) / 1000.0);
    Some(LatencySummary {
        p50_ms: ms(50.0)?,
        p90_ms: ms(90.0)?,
        p99_ms: ms(99.0)?,
        max_ms: ms(100.0)?,
    })
}

/// Median of the runs' figures (mean of the two middle ones for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        Some(v[mid])
    } else {
        Some((v[mid - 1] + v[mid]) / 2.0)
    }
}

/// Smallest and largest of the runs' figures.
pub fn min_max(values: &[f64]) -> Option<(f64, f64)> {
    values
        .iter()
        .copied()
        .filter(|x| x.is_finite())
        .fold(None, |acc, x| match acc {
            None => Some((x, x)),
            Some((lo, hi)) => Some((lo.min(x), hi.max(x))),
        })
}

/// Saturating microseconds of a duration, for compact `u32` samples (~71 min max).
pub fn micros(d: std::time::Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_on_one_to_a_hundred() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), Some(50));
        assert_eq!(percentile(&v, 90.0), Some(90));
        assert_eq!(percentile(&v, 99.0), Some(99));
        assert_eq!(percentile(&v, 99.9), Some(100));
        assert_eq!(percentile(&v, 100.0), Some(100));
        assert_eq!(percentile(&v, 0.0), Some(1));
    }

    #[test]
    fn nearest_rank_on_small_arrays() {
        // The textbook example: 15, 20, 35, 40, 50.
        let v = [15, 20, 35, 40, 50];
        assert_eq!(percentile(&v, 5.0), Some(15));
        assert_eq!(percentile(&v, 30.0), Some(20));
        assert_eq!(percentile(&v, 40.0), Some(20));
        assert_eq!(percentile(&v, 50.0), Some(35));
        assert_eq!(percentile(&v, 100.0), Some(50));
        assert_eq!(percentile(&[7], 99.0), Some(7));
        let ten: Vec<u32> = (1..=10).collect();
        assert_eq!(percentile(&ten, 90.0), Some(9));
        assert_eq!(percentile(&ten, 99.0), Some(10));
    }

    #[test]
    fn empty_input_has_no_percentile_nor_summary() {
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(summarize(&mut []), None);
    }

    #[test]
    fn summaries_are_in_milliseconds_and_sort_their_input() {
        let mut v: Vec<u32> = (1..=1000).rev().map(|x| x * 10).collect();
        let s = summarize(&mut v).expect("non-empty");
        assert_eq!(s.p50_ms, 5.0);
        assert_eq!(s.p90_ms, 9.0);
        assert_eq!(s.p99_ms, 9.9);
        assert_eq!(s.max_ms, 10.0);
        assert_eq!(v.first(), Some(&10));
    }

    #[test]
    fn median_of_runs() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0]), Some(3.0));
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[f64::NAN, 2.0, 4.0]), Some(3.0));
        assert_eq!(min_max(&[5.0, 1.0, 3.0]), Some((1.0, 5.0)));
        assert_eq!(min_max(&[]), None);
    }

    #[test]
    fn micros_saturate() {
        assert_eq!(micros(std::time::Duration::from_millis(3)), 3000);
        assert_eq!(micros(std::time::Duration::from_secs(10_000)), u32::MAX);
    }
}
