//! SIGINT and SIGTERM during an apply (Ctrl-C at a terminal, a CI runner cancelling a job),
//! handled from the start of the command.
//!
//! Before anything is sent (reading, re-reading, showing or confirming the plan) the first signal
//! stops the apply: "interrupted, nothing sent", exit 1. After that, the first signal asks the
//! executor to send nothing more; it lets the calls in flight settle,
//! journals them and prints the summary. A second signal exits at once: the journal is consistent
//! either way (every batch is journaled as sent before it is sent), and the same command finishes
//! the job.

use vodplan::apply::Interrupt;

/// Stops listening when dropped.
pub struct Listening(tokio::task::JoinHandle<()>);

impl Drop for Listening {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Listens for SIGINT and SIGTERM until the returned guard is dropped.
pub fn on_interrupt(interrupt: Interrupt) -> Listening {
    Listening(tokio::spawn(async move {
        let mut count = 0;
        loop {
            if !next_signal().await {
                return;
            }
            count += 1;
            if count == 1 && !interrupt.is_sending() {
                // Before anything is sent: the apply stops and says so itself.
                interrupt.trigger();
            } else if count == 1 {
                interrupt.trigger();
                eprintln!(
                    "\nInterrupted: sending no new deletions; waiting up to {} s for the calls in flight. Interrupt again to stop at once.",
                    vodplan::apply::executor::SETTLE_AFTER_INTERRUPT.as_secs()
                );
            } else {
                eprintln!(
                    "\nStopped at once. The journal is consistent: run the same command again to finish."
                );
                super::exit::stop_at_once(interrupt.sent_any());
            }
        }
    }))
}

#[cfg(unix)]
async fn next_signal() -> bool {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return false;
    };
    tokio::select! {
        s = term.recv() => s.is_some(),
        s = int.recv() => s.is_some(),
    }
}

#[cfg(not(unix))]
async fn next_signal() -> bool {
    tokio::signal::ctrl_c().await.is_ok()
}
