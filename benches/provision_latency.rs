//! How fast amibake notices that a command finished on the instance, and how
//! many API calls per second provisioning makes while doing so.
//!
//! Runs many short shell provisioners (0.1–0.9 s, so they end at every phase
//! of the polling schedule) on the emulator. Each script's last act prints
//! the wall clock; the session logs the moment its poll sees the command
//! finished. Targets: median under 300 ms, under 5 calls per second.
//!
//! Run with `scripts/bench provision_latency`, or without a release build:
//! `cargo bench --profile dev --bench provision_latency` (the figures are
//! dominated by polling, not by CPU).

#[path = "../tests/provision_tests/common.rs"]
#[allow(dead_code)]
mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, UNIX_EPOCH};

use common::*;

const RUNS: usize = 30;
const TARGET: Duration = Duration::from_millis(300);
const MAX_RATE: f64 = 5.0;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let lab = Lab::start().await;
        lab.emu.clear_calls();
        let started = std::time::SystemTime::now();
        // One session, as in a build: its call pacing spans all commands.
        let (mut s, _ui, cap) = lab.session(None);
        for i in 0..RUNS {
            let sleep = format!("sleep 0.{}", 1 + (i * 7) % 9);
            s.run("main", &[inline(Some("bench"), &[&sleep, "date +%s.%N"])])
                .await
                .expect("bench command failed");
        }
        s.cleanup().await.unwrap();
        let lines = cap.timed_lines();
        let ends: Vec<f64> = lines
            .iter()
            .filter_map(|(_, l)| l.strip_prefix("    bench: "))
            .map(|l| l.trim().parse().unwrap())
            .collect();
        let noticed: Vec<f64> = lines
            .iter()
            .filter(|(_, l)| l.contains("finished: Success"))
            .map(|(t, _)| t.duration_since(UNIX_EPOCH).unwrap().as_secs_f64())
            .collect();
        assert_eq!((ends.len(), noticed.len()), (RUNS, RUNS));
        let mut latencies: Vec<Duration> = ends
            .iter()
            .zip(&noticed)
            .map(|(end, seen)| Duration::from_secs_f64((seen - end).max(0.0)))
            .collect();
        let elapsed = started.elapsed().unwrap().as_secs_f64();
        let calls = lab.emu.calls();
        let ours: Vec<f64> = calls
            .iter()
            .filter(|c| c.service == "ssm" || c.service == "s3")
            .map(|c| c.time)
            .collect();
        let rate = ours.len() as f64 / elapsed;
        let peak = ours
            .iter()
            .map(|t| ours.iter().filter(|u| **u >= *t && **u < t + 1.0).count())
            .max()
            .unwrap_or(0);
        latencies.sort();
        let median = latencies[RUNS / 2];
        let p90 = latencies[RUNS * 9 / 10];
        println!(
            "command finished -> noticed: {RUNS} commands, min {:.0} ms, median {:.0} ms, p90 {:.0} ms, max {:.0} ms (target < {} ms): {}",
            ms(latencies[0]),
            ms(median),
            ms(p90),
            ms(latencies[RUNS - 1]),
            TARGET.as_millis(),
            if median < TARGET { "PASS" } else { "FAIL" }
        );
        println!(
            "API calls (ssm+s3): {} in {elapsed:.1} s = {rate:.2}/s, busiest second {peak} (target < {MAX_RATE}/s): {}",
            ours.len(),
            if rate < MAX_RATE && (peak as f64) < MAX_RATE { "PASS" } else { "FAIL" }
        );
    });
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
