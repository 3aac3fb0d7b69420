//! Settling a two-phase import: commit and abort.
//!
//! A job created with `auto_commit(false)` imports its data, then waits in
//! `Uncommitted` until it is committed (its data becomes visible) or
//! aborted (it ends `Failed`, its data discarded). Both calls change the
//! job, so the danger is the usual one of writes: an attempt whose answer is
//! lost may have taken effect, and its retry is then refused, because the
//! job has moved on (`Committing`, or already `Failed` by the abort). Such a
//! refusal is checked with describe and reported as the success it is.

use tokio::time::Instant;

use crate::{
    AbortOnTimeout, Client, Error, ErrorKind, ImportState, Settled, Target, WaitError,
    client::with_database, codes,
};

/// What a caller asks of a two-phase job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Make the imported data visible (`/commit`).
    Commit,
    /// Stop and discard the job (`/abort`).
    Abort,
}

impl Action {
    /// Whether the job, as describe shows it, is where this action leads:
    /// a commit on its way or done, or an abort done.
    fn took_effect(self, state: &ImportState, aborted: bool) -> bool {
        match self {
            Action::Commit => matches!(state, ImportState::Committing | ImportState::Completed),
            Action::Abort => aborted,
        }
    }
}

impl Client {
    /// Commits a two-phase import (created with
    /// [`auto_commit(false)`](crate::CreateImportJob::auto_commit)) that has
    /// reached [`ImportState::Uncommitted`]: its data becomes visible, and
    /// the job moves through `Committing` to `Completed`.
    ///
    /// Safe to retry: the call is retried like describe, and a refusal
    /// because the job is already committing or completed (the answer to an
    /// earlier attempt was lost, or someone else committed it) is checked
    /// with one describe and reported as success, with
    /// [`Settled::already`] set. Any other refusal is an [`ErrorKind::Api`](crate::ErrorKind::Api) with
    /// the server's code (open-source Milvus: 2100 for a job that is not
    /// `Uncommitted`).
    ///
    /// `target` is where the job runs, as for
    /// [`describe_import_job`](Client::describe_import_job). The control
    /// plane's docs do not list commit; open-source Milvus serves it.
    pub async fn commit_import_job(&self, target: &Target, job_id: &str) -> Result<Settled, Error> {
        self.settle(Action::Commit, target, job_id, None).await
    }

    /// Aborts an import: it stops, what it staged is discarded, and the job
    /// ends `Failed` with the reason [`ABORTED_REASON`](crate::ABORTED_REASON)
    /// (a wait reports it as [`WaitError::Aborted`](crate::WaitError::Aborted)).
    /// Servers refuse to abort a job that is committing or completed.
    ///
    /// Safe to retry, as [`commit_import_job`](Client::commit_import_job):
    /// a refusal because the job was already aborted is reported as success.
    pub async fn abort_import_job(&self, target: &Target, job_id: &str) -> Result<Settled, Error> {
        self.settle(Action::Abort, target, job_id, None).await
    }

    /// When `ended` is a wait timed out: the job aborted, the abort ending
    /// `by` (the wait's grace after its deadline), and its fate recorded in
    /// `ended`. Any other error is handed back as it is.
    pub(crate) async fn abort_timed_out(
        &self,
        target: &Target,
        job_id: &str,
        mut ended: WaitError,
        by: Option<Instant>,
    ) -> WaitError {
        if let WaitError::TimedOut { abort, .. } = &mut ended
            && abort.is_none()
        {
            *abort = Some(match self.settle(Action::Abort, target, job_id, by).await {
                Ok(settled) => AbortOnTimeout::Accepted(settled),
                Err(e) => AbortOnTimeout::Failed(Box::new(e)),
            });
        }
        ended
    }

    /// Sends `action`, and checks a refusal with a describe; both end by
    /// one deadline: the operation timeout from now, or `outer` if sooner.
    async fn settle(
        &self,
        action: Action,
        target: &Target,
        job_id: &str,
        outer: Option<Instant>,
    ) -> Result<Settled, Error> {
        self.check_job(target, job_id)?;
        let deadline = self.deadline(outer);
        let body = target.job_reference(job_id);
        let db = target.database_name();
        let raw = self.raw();
        let scrubber = || self.scrubber();
        // Repeatable: a second commit or abort cannot do anything twice; at
        // worst it is refused, which is checked below.
        let answer = match action {
            Action::Commit => {
                let send = with_database!(raw.commit_import_job().body(body), db).send();
                self.send(deadline, &scrubber, send).await
            }
            Action::Abort => {
                let send = with_database!(raw.abort_import_job().body(body), db).send();
                self.send(deadline, &scrubber, send).await
            }
        };
        let (already, request_id) = match answer {
            Ok(((), request_id)) => (None, request_id),
            Err(refusal) if may_be_about_state(&refusal) => {
                match self.describe_until(target, job_id, deadline).await {
                    Ok(now) if action.took_effect(&now.state, now.is_aborted()) => {
                        tracing::info!(job_id, state = %now.state, error = %refusal, "refused, but the job had already moved on: done");
                        (Some(now.state), refusal.request_id().map(str::to_owned))
                    }
                    // The refusal stands; what describe said (or its failure)
                    // adds nothing the caller can act on.
                    _ => return Err(refusal),
                }
            }
            Err(e) => return Err(e),
        };
        Ok(Settled {
            job_id: job_id.to_owned(),
            already,
            request_id,
        })
    }
}

/// Whether a refusal may be about the job's state, and so worth one
/// describe: an envelope refusal (not an HTTP error or refused credentials)
/// with Milvus's 2100, or with a code this crate does not know. A code that
/// names the request as wrong (an unknown job, a bad key) is final as it is.
fn may_be_about_state(e: &Error) -> bool {
    match e.kind() {
        ErrorKind::Api { code, .. } => {
            !matches!(e.status(), Some(401 | 403))
                && (*code == codes::MILVUS_IMPORT_FAILED || !codes::is_permanent(*code))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_where_the_action_leads_counts_as_done() {
        use ImportState as S;
        for state in [S::Committing, S::Completed] {
            assert!(Action::Commit.took_effect(&state, false));
        }
        for state in [
            S::Uncommitted,
            S::Importing,
            S::Failed,
            S::Other("x".into()),
        ] {
            assert!(!Action::Commit.took_effect(&state, false), "{state}");
        }
        assert!(Action::Abort.took_effect(&S::Failed, true));
        assert!(!Action::Abort.took_effect(&S::Failed, false));
        assert!(!Action::Abort.took_effect(&S::Completed, false));
    }

    #[test]
    fn only_refusals_that_may_be_about_the_state_are_checked() {
        let api = |code, status| {
            Error::new(ErrorKind::Api {
                code,
                message: String::new(),
            })
            .answered(Some(status), None)
        };
        assert!(may_be_about_state(&api(codes::MILVUS_IMPORT_FAILED, 200)));
        assert!(may_be_about_state(&api(65535, 200)));
        assert!(!may_be_about_state(&api(codes::JOB_NOT_FOUND, 200)));
        assert!(!may_be_about_state(&api(
            codes::MILVUS_UNAUTHENTICATED,
            401
        )));
        assert!(!may_be_about_state(&api(65535, 403)));
        assert!(!may_be_about_state(&Error::new(ErrorKind::DeadlineReached)));
    }
}
