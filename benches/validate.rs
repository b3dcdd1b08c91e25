//! `amibake validate recipes/etherpad.hcl` as a whole process: the time a
//! user waits in an editor hook or a pre-commit check. Target: under 20 ms.
//!
//! Run with `scripts/bench validate` (or `cargo bench --bench validate`).

use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 50;
const TARGET: Duration = Duration::from_millis(20);

fn main() {
    let exe = env!("CARGO_BIN_EXE_amibake");
    let root = env!("CARGO_MANIFEST_DIR");
    let run = || {
        let start = Instant::now();
        let status = Command::new(exe)
            .args(["validate", "recipes/etherpad.hcl"])
            .current_dir(root)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("run amibake");
        assert!(status.success(), "validate failed");
        start.elapsed()
    };
    // Warm the page cache so the first run does not measure the disk.
    for _ in 0..3 {
        run();
    }
    let mut times: Vec<Duration> = (0..RUNS).map(|_| run()).collect();
    times.sort();
    let median = times[RUNS / 2];
    let p90 = times[RUNS * 9 / 10];
    println!(
        "validate recipes/etherpad.hcl: {RUNS} runs, min {:.1} ms, median {:.1} ms, p90 {:.1} ms (target < {} ms): {}",
        ms(times[0]),
        ms(median),
        ms(p90),
        TARGET.as_millis(),
        if median < TARGET { "PASS" } else { "FAIL" }
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
