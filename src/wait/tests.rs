use super::*;
use crate::progress::progress_at as p;

#[test]
fn progress_never_moves_backwards() {
    let seen = p(ImportState::Importing, 60);
    let mut now = p(ImportState::Importing, 40);
    assert!(!monotonic(&mut now, Some(&seen)));
    assert_eq!(now.progress, 60);
    let mut done = p(ImportState::Completed, 0);
    assert!(monotonic(&mut done, Some(&seen)));
    assert_eq!(done.progress, 100);
    let mut failed = p(ImportState::Failed, 10);
    assert!(monotonic(
        &mut failed,
        Some(&p(ImportState::Importing, 100))
    ));
    assert_eq!(failed.progress, 99, "a failed job never reads 100 %");
}
