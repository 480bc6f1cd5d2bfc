//! How long each phase of a build took, for the `gofrontend: phase ...` lines the frontend
//! writes to stderr (BuildKit puts them in the daemon's log, where the benchmarks read them).
//! Phases that run at once are timed each on its own.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
pub struct Phases(RefCell<Vec<(String, Duration, String)>>);

impl Phases {
    pub fn record(&self, name: &str, elapsed: Duration) {
        self.record_with(name, elapsed, String::new());
    }

    /// `detail` says what the phase worked on (`3 packages, 20 files`).
    pub fn record_with(&self, name: &str, elapsed: Duration, detail: String) {
        self.0
            .borrow_mut()
            .push((name.to_string(), elapsed, detail));
    }

    /// Runs `future`, recording how long it took under `name`.
    pub async fn time<T>(&self, name: &str, future: impl Future<Output = T>) -> T {
        self.time_with(name, "", future).await
    }

    pub async fn time_with<T>(
        &self,
        name: &str,
        detail: &str,
        future: impl Future<Output = T>,
    ) -> T {
        let started = Instant::now();
        let value = future.await;
        self.record_with(name, started.elapsed(), detail.to_string());
        value
    }
}

/// One line per phase: `gofrontend: phase <name> <ms> ms[ (<detail>)]`.
impl fmt::Display for Phases {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, elapsed, detail) in self.0.borrow().iter() {
            write!(f, "gofrontend: phase {name} {} ms", elapsed.as_millis())?;
            match detail.is_empty() {
                true => writeln!(f)?,
                false => writeln!(f, " ({detail})")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_phase_is_a_line_with_its_time_and_detail() {
        let phases = Phases::default();
        phases.record("plan", Duration::from_millis(3));
        phases.record_with("scan", Duration::from_micros(12_400), "2 packages".into());
        assert_eq!(
            phases.to_string(),
            "gofrontend: phase plan 3 ms\ngofrontend: phase scan 12 ms (2 packages)\n"
        );
    }
}
