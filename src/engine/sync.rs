//! Locks a browser's page thread may take. Must not import any browser crate.
//!
//! In a threaded wasm build a contended `Mutex::lock` parks the thread with
//! `memory.atomic.wait32`, and on the page's main thread that traps
//! ("Atomics.wait cannot be called in this context"): the scan then never
//! ends. Every lock the page shares with the workers (the slots it fills, the
//! stop it requests) is therefore taken with [`lock_without_parking`], which
//! spins on `try_lock` instead. The critical sections behind these locks are
//! a few instructions long, so the spin is short even when a worker holding
//! the lock is descheduled. Workers keep using `lock` (they may park).

use std::sync::{Mutex, MutexGuard, TryLockError};

/// Takes `m` without ever parking this thread: spins until the holder lets
/// go. A poisoned lock is taken anyway (the data behind our locks stays
/// consistent across a panic: flags and queues of indices).
pub fn lock_without_parking<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    loop {
        match m.try_lock() {
            Ok(guard) => return guard,
            Err(TryLockError::Poisoned(p)) => return p.into_inner(),
            Err(TryLockError::WouldBlock) => std::hint::spin_loop(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn waits_for_the_holder_then_takes_the_lock() {
        let m = Arc::new(Mutex::new(0));
        let held = Arc::new(AtomicBool::new(false));
        let holder = {
            let (m, held) = (m.clone(), held.clone());
            std::thread::spawn(move || {
                let mut g = m.lock().unwrap();
                held.store(true, Ordering::Release);
                std::thread::sleep(Duration::from_millis(30));
                *g = 1;
            })
        };
        while !held.load(Ordering::Acquire) {
            std::hint::spin_loop();
        }
        // Taken only once the holder has written and let go.
        assert_eq!(*lock_without_parking(&m), 1);
        holder.join().unwrap();
    }

    #[test]
    fn takes_a_poisoned_lock() {
        let m = Arc::new(Mutex::new(5));
        let m2 = m.clone();
        let _ = std::thread::spawn(move || {
            let _g = m2.lock().unwrap();
            panic!("poison it");
        })
        .join();
        assert!(m.is_poisoned());
        assert_eq!(*lock_without_parking(&m), 5);
    }
}
