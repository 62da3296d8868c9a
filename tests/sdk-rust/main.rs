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
//! with its causes on stderr, and exit 1.
//!
//! `--calls N --every-ms M` (the benchmarks' long job): one client makes N calls, M ms apart, as a
//! long-running program would, its credentials cached and refreshed by the SDK itself; it prints
//! the last ARN.

use std::process::ExitCode;

use aws_config::BehaviorVersion;
use aws_sdk_sts::error::DisplayErrorContext;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let (calls, every) = match job_args(std::env::args().skip(1).collect()) {
        Ok(job) => job,
        Err(why) => {
            eprintln!("rust-sdk-identity: {why}");
            return ExitCode::from(2);
        }
    };
    let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let sts = aws_sdk_sts::Client::new(&config);
    let mut arn = None;
    for i in 0..calls {
        if i > 0 {
            tokio::time::sleep(every).await;
        }
        match sts.get_caller_identity().send().await {
            Ok(identity) => arn = identity.arn().map(str::to_owned),
            Err(e) => {
                // The whole chain of causes: which provider failed and why, not only "dispatch failure".
                eprintln!("rust-sdk-identity: call {}: {}", i + 1, DisplayErrorContext(&e));
                return ExitCode::FAILURE;
            }
        }
    }
    println!("{}", serde_json::json!({ "Arn": arn }));
    ExitCode::SUCCESS
}

/// No arguments: one call; `--calls N --every-ms M`: N calls, M ms apart.
fn job_args(args: Vec<String>) -> Result<(u64, std::time::Duration), String> {
    match args.as_slice() {
        [] => Ok((1, std::time::Duration::ZERO)),
        [c, n, e, m] if c == "--calls" && e == "--every-ms" => {
            let calls = n.parse::<u64>().ok().filter(|n| *n > 0).ok_or("--calls takes a positive number")?;
            let every = m.parse::<u64>().map_err(|_| "--every-ms takes a number of milliseconds")?;
            Ok((calls, std::time::Duration::from_millis(every)))
        }
        _ => Err("takes no arguments, or --calls N --every-ms M (everything else comes from the environment)".into()),
    }
}
