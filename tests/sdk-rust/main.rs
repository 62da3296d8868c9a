//! GetCallerIdentity through the AWS SDK for Rust, as an independent reader of the credentials
//! rolecall hands out (beside botocore and the JavaScript SDK in `tests/sdk-js`).
//!
//! `rust-sdk-identity` loads the SDK's default configuration and credentials chain, exactly as
//! any program built on `aws-config` does: the environment's keys, then the profile of
//! `AWS_PROFILE` in `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE` (its `credential_process`
//! included, which the SDK runs with `sh -c`), then the container endpoint of
//! `AWS_CONTAINER_CREDENTIALS_FULL_URI` with `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` or
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN`; the endpoint and region from `AWS_ENDPOINT_URL` and
//! `AWS_REGION`. It prints `{"Arn": "…"}` on one line and exits 0; on failure, the SDK's error
//! with its causes on stderr, and exit 1. It takes no arguments.

use std::process::ExitCode;

use aws_config::BehaviorVersion;
use aws_sdk_sts::error::DisplayErrorContext;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    if std::env::args_os().len() > 1 {
        eprintln!("rust-sdk-identity: takes no arguments (everything comes from the environment)");
        return ExitCode::from(2);
    }
    let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let sts = aws_sdk_sts::Client::new(&config);
    match sts.get_caller_identity().send().await {
        Ok(identity) => {
            println!("{}", serde_json::json!({ "Arn": identity.arn() }));
            ExitCode::SUCCESS
        }
        Err(e) => {
            // The whole chain of causes: which provider failed and why, not only "dispatch failure".
            eprintln!("rust-sdk-identity: {}", DisplayErrorContext(&e));
            ExitCode::FAILURE
        }
    }
}
