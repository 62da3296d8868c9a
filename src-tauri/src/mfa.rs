//! MFA codes from the MFA window. A click that needs a code parks on a [`MfaBroker`] request; the
//! window shows it, and `submit_mfa` hands the code over and waits for STS's verdict, so a refused
//! code is shown in the window and the user can try the next one.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rolecall_core::validate::MfaCode;
use rolecall_core::{Code, Error, ErrorDto};
use serde::Serialize;
use tokio::sync::oneshot;

/// What the MFA window shows (`mfa_pending`, the `rolecall://mfa-request` event; its TypeScript
/// is generated with the DTOs', see `dto.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct MfaRequest {
    /// Identifies the request across retries.
    pub request_id: String,
    /// The favourite that needs the code.
    pub favourite: String,
    /// The device.
    pub device: String,
}

struct Pending {
    request: MfaRequest,
    code_tx: Option<oneshot::Sender<Result<MfaCode, Error>>>,
    verdict_tx: Option<oneshot::Sender<Result<(), ErrorDto>>>,
}

/// At most one MFA request is shown at a time; a new one replaces (cancels) the old.
#[derive(Default)]
pub struct MfaBroker {
    pending: Mutex<Option<Pending>>,
    next: AtomicU64,
}

impl MfaBroker {
    /// A new request id.
    pub fn new_id(&self) -> String {
        format!("mfa-{}", self.next.fetch_add(1, Ordering::Relaxed) + 1)
    }

    /// Parks a request; the receiver gets the code (or a cancellation).
    pub fn ask(&self, request: MfaRequest) -> oneshot::Receiver<Result<MfaCode, Error>> {
        let (tx, rx) = oneshot::channel();
        let mut pending = self.pending.lock().expect("mfa lock");
        if let Some(old) = pending.take()
            && old.request.request_id != request.request_id
            && let Some(code_tx) = old.code_tx
        {
            let _ = code_tx.send(Err(Error::Cancelled(format!("favourite {}", old.request.favourite))));
        }
        *pending = Some(Pending { request, code_tx: Some(tx), verdict_tx: None });
        rx
    }

    /// The request waiting for a code, if any.
    pub fn current(&self) -> Option<MfaRequest> {
        let pending = self.pending.lock().expect("mfa lock");
        pending.as_ref().filter(|p| p.code_tx.is_some()).map(|p| p.request.clone())
    }

    /// Hands a code to request `id`; the receiver gets STS's verdict on it.
    pub fn submit(&self, id: &str, code: MfaCode) -> Result<oneshot::Receiver<Result<(), ErrorDto>>, ErrorDto> {
        let mut pending = self.pending.lock().expect("mfa lock");
        let p = pending.as_mut().filter(|p| p.request.request_id == id).ok_or_else(stale)?;
        let code_tx = p.code_tx.take().ok_or_else(stale)?;
        let (tx, rx) = oneshot::channel();
        p.verdict_tx = Some(tx);
        code_tx.send(Ok(code)).map_err(|_| stale())?;
        Ok(rx)
    }

    /// Reports the outcome of the last code given to request `id`. Returns whether the request is
    /// over (anything but a refused code ends it).
    pub fn verdict(&self, id: &str, outcome: Result<(), ErrorDto>) {
        let mut pending = self.pending.lock().expect("mfa lock");
        if let Some(p) = pending.as_mut().filter(|p| p.request.request_id == id)
            && let Some(tx) = p.verdict_tx.take()
        {
            let _ = tx.send(outcome);
        }
    }

    /// Ends request `id` (done, failed or cancelled), cancelling a wait for a code.
    pub fn finish(&self, id: &str) {
        let mut pending = self.pending.lock().expect("mfa lock");
        if pending.as_ref().is_some_and(|p| p.request.request_id == id)
            && let Some(p) = pending.take()
            && let Some(code_tx) = p.code_tx
        {
            let _ = code_tx.send(Err(Error::Cancelled(format!("favourite {}", p.request.favourite))));
        }
    }

    /// Cancels whatever request is waiting (the window was closed or Esc pressed).
    pub fn cancel(&self, id: Option<&str>) {
        let mut pending = self.pending.lock().expect("mfa lock");
        if let Some(p) = pending.as_mut().filter(|p| id.is_none_or(|id| p.request.request_id == id))
            && let Some(code_tx) = p.code_tx.take()
        {
            let _ = code_tx.send(Err(Error::Cancelled(format!("favourite {}", p.request.favourite))));
        }
    }
}

fn stale() -> ErrorDto {
    ErrorDto {
        code: Code::MfaStale,
        message: "this MFA request is no longer waiting; click the favourite again".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(b: &MfaBroker) -> MfaRequest {
        MfaRequest {
            request_id: b.new_id(),
            favourite: "prod".into(),
            device: "arn:aws:iam::123456789012:mfa/a".into(),
        }
    }

    #[tokio::test]
    async fn a_code_reaches_the_waiting_click_and_the_verdict_comes_back() {
        let b = MfaBroker::default();
        let r = req(&b);
        let code_rx = b.ask(r.clone());
        assert_eq!(b.current(), Some(r.clone()));
        let verdict_rx = b.submit(&r.request_id, MfaCode::parse("123456").unwrap()).unwrap();
        assert_eq!(code_rx.await.unwrap().unwrap().as_str(), "123456");
        assert_eq!(b.current(), None, "no longer waiting for a code");
        b.verdict(&r.request_id, Err(ErrorDto { code: Code::StsMfaInvalid, message: "refused".into() }));
        assert_eq!(verdict_rx.await.unwrap().unwrap_err().code, "sts.mfa_invalid");
        // A retry asks again under the same id.
        let code_rx = b.ask(r.clone());
        b.cancel(None);
        assert_eq!(code_rx.await.unwrap().unwrap_err().code(), "cancelled");
        assert_eq!(b.submit("mfa-999", MfaCode::parse("123456").unwrap()).unwrap_err().code, "mfa.stale");
    }

    #[tokio::test]
    async fn a_new_request_cancels_the_old_one() {
        let b = MfaBroker::default();
        let first = b.ask(req(&b));
        let second = req(&b);
        let _rx = b.ask(second.clone());
        assert_eq!(first.await.unwrap().unwrap_err().code(), "cancelled");
        assert_eq!(b.current(), Some(second));
    }
}
