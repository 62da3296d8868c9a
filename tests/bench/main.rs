//! rolecall's whole-process benchmarks against real parts: moto (STS) on loopback, gnome-keyring
//! on a private bus, the release `rolecall` and `rolecall-tray` binaries, the AWS CLI of the test
//! venv, awsume (when given), and a headless desktop (Xvfb and a tray host) for the tray app.
//!
//! Prints one JSON object per line on stdout (progress goes to stderr); `./scripts/bench` runs it
//! with `cargo bench -p rolecall-e2e --bench apps` and renders `docs/benchmarks.md` from the
//! lines. Nothing here asserts a time: the figures are measured and published, not tested.
//!
//! Sections (all by default; `ROLECALL_BENCH_ONLY=assume,renew,tray` picks some):
//! - `assume`: one role switch as a whole process, `ROLECALL_BENCH_RUNS` times (default 20):
//!   `rolecall assume`, the AWS docs' manual workflow (`aws sts assume-role` then three
//!   `aws configure set`), and awsume in output-profile mode (`awsumepy --role-arn … -o …`) when
//!   `ROLECALL_BENCH_AWSUME` names its executable.
//! - `renew`: `rolecall renew f1 … fN` for N = 1, 10, 100 (renewals run up to 8 at a time).
//! - `tray`: launch to tray registered; idle memory and CPU with 20 active favourites over
//!   `ROLECALL_BENCH_IDLE_SECS` (default 60); memory after `ROLECALL_BENCH_CLICKS` (default 1,000)
//!   assumes clicked in the tray menu over dbusmenu.
//!
//! - `sso`: IAM Identity Center against the fake portal ([`rolecall_e2e::sso`], minting through
//!   the same moto, one session per role answered again): `rolecall assume` of an SSO favourite and of the IAM-key favourite, the
//!   AWS CLI (botocore) resolving the same SSO profile itself from the shared token cache beside
//!   it reading rolecall's profile (`aws sts get-caller-identity`), `ROLECALL_BENCH_RUNS` times
//!   each; discovery of 600 accounts × 3 roles with the portal answering in 20–50 ms and
//!   throttling above 20 requests a second (`ROLECALL_BENCH_SSO_DISCOVERIES` runs, default 1:
//!   seconds, requests per second achieved as a share of the limit, the most refusals of one
//!   request in a row); the kept listing shown again.
//!
//! - `served`: `rolecall credentials` (what a `credential_process` line runs) answered by the
//!   running tray app from memory, the CLI's own path without the app (keychain and AssumeRole),
//!   and the peers' way of a full assume per call (`rolecall assume`, `aws sts assume-role`),
//!   `ROLECALL_BENCH_RUNS` times each; then a job on the AWS SDK for Rust (`rust-sdk-identity
//!   --calls N --every-ms M`, one client making one GetCallerIdentity a second) through a
//!   process favourite's `credential_process`, with time scaled 15 to 1: one-minute sessions
//!   (granted by the recording proxy in front of moto) for the real 15, and
//!   `ROLECALL_BENCH_JOB_SECS` (default 240) for the hour. Counted: the SDK's process runs, the
//!   app's AssumeRole calls, the API calls.
//!
//! Run without `--bench` (as `cargo test --all-targets` would) it only says how to run it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use rolecall_e2e::sso::{FakeSso, SsoAccount, SsoRequest, StubBrowser};
use rolecall_e2e::{Desktop, Sandbox, TrayApp, World, WorldBuilder, apply_envs, rolecall_bin, tray_bin, venv_tool};
use serde_json::{Value, json};

/// The role every favourite assumes.
const ROLE: &str = "bench";
/// The access portal's start URL in the `sso` section.
const START_URL: &str = "https://d-1234567890.awsapps.com/start";
/// Accounts and roles per account the `sso` section discovers.
const DISCOVERY_GRID: (usize, usize) = (600, 3);
/// The fake portal's throttle in the `sso` section: requests per second.
const PORTAL_LIMIT: usize = 20;
/// The fake portal's latency range in the `sso` section, milliseconds.
const PORTAL_LATENCY_MS: (u64, u64) = (20, 50);
/// Favourite counts renewed at once.
const RENEW_COUNTS: [usize; 3] = [1, 10, 100];
/// Active favourites while the tray app idles.
const TRAY_FAVOURITES: usize = 20;
/// Launches of the tray app timed to registration.
const LAUNCHES: usize = 5;
/// Clicks before the first memory reading of the click run.
const WARM_UP_CLICKS: usize = 100;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("rolecall benchmarks: run `./scripts/bench` (or `cargo bench -p rolecall-e2e --bench apps`)");
        return;
    }
    let only = std::env::var("ROLECALL_BENCH_ONLY").unwrap_or_default();
    let wanted = |section: &str| only.is_empty() || only.split(',').any(|s| s.trim() == section);
    let runs = env_number("ROLECALL_BENCH_RUNS", 20);

    emit(json!({"bench": "versions", "rolecall": version(&rolecall_bin(), &["--version"]),
        "aws_cli": version(&venv_tool("aws"), &["--version"]),
        "awsume": awsume().map(|a| version(&a, &["--version"]))}));
    if wanted("assume") {
        bench_assume(runs);
    }
    if wanted("renew") {
        bench_renew(runs.clamp(3, 10));
    }
    if wanted("sso") {
        bench_sso(runs, env_number("ROLECALL_BENCH_SSO_DISCOVERIES", 1));
    }
    if wanted("served") {
        bench_served(runs, env_number("ROLECALL_BENCH_JOB_SECS", 240));
    }
    if wanted("tray") {
        bench_tray(env_number("ROLECALL_BENCH_IDLE_SECS", 60), env_number("ROLECALL_BENCH_CLICKS", 1_000));
    }
}

/// One section's world ([`World`], with what `builder` adds): moto in auth mode with user alice
/// and one role trusting her, an unlocked keychain, and a sandbox with source `work` (alice's
/// keys, in the keychain) and favourites `names`. Also the role's ARN.
fn bench_world(builder: WorldBuilder, names: impl IntoIterator<Item = String>) -> (World, String) {
    let mut role_arn = String::new();
    let w = builder.build_with(|m, a| role_arn = m.create_role(ROLE, &a.user_arn, None));
    rolecall(
        &w,
        &["source", "add", "work"],
        Some(&format!("{}\n{}\n", w.alice().access_key_id, w.alice().secret_access_key)),
    );
    for name in names {
        rolecall(&w, &["role", "add", &name, "--arn", &role_arn, "--source", "work"], None);
    }
    (w, role_arn)
}

/// Runs rolecall in `w`; panics with its output unless it succeeds. Returns the time.
fn rolecall(w: &World, args: &[&str], stdin: Option<&str>) -> Duration {
    let mut cmd = w.sandbox.command(rolecall_bin(), &w.envs());
    cmd.args(args);
    timed(&mut cmd, stdin).0
}

/// One role switch as a whole process, three ways.
fn bench_assume(runs: usize) {
    eprintln!("bench: assume ({runs} runs each)");
    let (world, role_arn) = bench_world(World::builder(), ["admin".to_owned()]);
    let (sandbox, envs) = (&world.sandbox, world.envs());
    // The source profile the AWS CLI and awsume start from (rolecall's is in the keychain).
    sandbox.write(
        ".aws/credentials",
        &format!(
            "[src]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            world.alice().access_key_id,
            world.alice().secret_access_key
        ),
    );

    let rolecall = measure(runs, || rolecall(&world, &["assume", "admin"], None));
    let aws = measure(runs, || aws_cli_workflow(sandbox, &envs, &role_arn));
    emit_times("assume", "rolecall", &rolecall);
    emit_times("assume", "aws_cli", &aws);
    match awsume() {
        Some(awsume) => {
            let times = measure(runs, || {
                let mut cmd = sandbox.command(&awsume, &envs);
                cmd.args(["--role-arn", &role_arn, "--source-profile", "src", "-o", "awsume-target"]);
                timed(&mut cmd, None).0
            });
            emit_times("assume", "awsume", &times);
        }
        None => emit(json!({"bench": "assume", "tool": "awsume", "skipped":
            "ROLECALL_BENCH_AWSUME is not set or not executable (scripts/bench installs awsume into a bench venv)"})),
    }
    // Every tool's profile works with the AWS CLI (checked once, not timed).
    for profile in ["admin", "aws-target", "awsume-target"] {
        if profile == "awsume-target" && awsume().is_none() {
            continue;
        }
        let mut cmd = sandbox.command(venv_tool("aws"), &envs);
        cmd.args(["sts", "get-caller-identity", "--profile", profile, "--output", "text"]);
        let out = timed(&mut cmd, None).1;
        assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("assumed-role/{ROLE}/")), "{profile}");
    }
}

/// The AWS docs' manual workflow: `aws sts assume-role`, then `aws configure set` for the key id,
/// the secret and the token of profile `aws-target`.
fn aws_cli_workflow(sandbox: &Sandbox, envs: &[(String, String)], role_arn: &str) -> Duration {
    let started = Instant::now();
    let mut cmd = sandbox.command(venv_tool("aws"), envs);
    cmd.args(["sts", "assume-role", "--role-arn", role_arn, "--role-session-name", "bench"]);
    cmd.args(["--profile", "src", "--output", "json"]);
    let out = timed(&mut cmd, None).1;
    let reply: Value = serde_json::from_slice(&out.stdout).expect("assume-role prints JSON");
    let creds = &reply["Credentials"];
    for (key, field) in [
        ("aws_access_key_id", "AccessKeyId"),
        ("aws_secret_access_key", "SecretAccessKey"),
        ("aws_session_token", "SessionToken"),
    ] {
        let value = creds[field].as_str().expect("a credential field");
        let mut cmd = sandbox.command(venv_tool("aws"), envs);
        cmd.args(["configure", "set", key, value, "--profile", "aws-target"]);
        timed(&mut cmd, None);
    }
    started.elapsed()
}

/// `rolecall renew f1 … fN` for each count: the whole process.
fn bench_renew(runs: usize) {
    let most = RENEW_COUNTS.iter().copied().max().unwrap_or(1);
    eprintln!("bench: renew (setting up {most} favourites)");
    let (world, _) = bench_world(World::builder(), (1..=most).map(|i| format!("f{i}")));
    for &n in &RENEW_COUNTS {
        let names: Vec<String> = (1..=n).map(|i| format!("f{i}")).collect();
        let mut args = vec!["renew"];
        args.extend(names.iter().map(String::as_str));
        eprintln!("bench: renew {n} ({runs} runs)");
        let times = measure(runs, || rolecall(&world, &args, None));
        let mut record = times_json("renew", &format!("{n}"), &times);
        record["favourites"] = json!(n);
        emit(record);
    }
}

/// IAM Identity Center: an SSO favourite's assume beside the IAM-key one's and botocore's own
/// resolution of the same profile; discovery near the portal's throttle; the kept listing.
fn bench_sso(runs: usize, discoveries: usize) {
    eprintln!("bench: sso ({runs} runs each)");
    let (world, _) = bench_world(World::builder(), ["admin".to_owned()]);
    let sso = FakeSso::start(world.moto());
    // One minted session per role, answered again: the fake mints through a Python process
    // (about 250 ms) that would swamp what is measured, the clients.
    sso.set_reuse_minted(true);
    sso.set_accounts(vec![SsoAccount {
        account_id: "111111111111".into(),
        account_name: "Production".into(),
        email_address: "prod@example.com".into(),
        roles: vec!["ReadOnly".into()],
    }]);
    let sandbox = &world.sandbox;
    // The AWS CLI's own SSO profile of the same role, on the sso-session rolecall shares its
    // sign-in with (the standard token cache).
    sandbox.write(
        ".aws/config",
        &format!(
            "[profile corp-ro]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = ReadOnly\n\
             region = us-east-1\n\n[sso-session corp]\nsso_start_url = {START_URL}\nsso_region = eu-west-1\n\
             sso_registration_scopes = sso:account:access\n"
        ),
    );
    let mut envs = world.envs();
    envs.extend(sso.envs());
    let browser = StubBrowser::install(&sandbox.home().join("bin"));
    let mut login_envs = envs.clone();
    login_envs.push(("PATH".to_owned(), browser.path_env()));
    let run = |envs: &[(String, String)], args: &[&str]| {
        let mut cmd = sandbox.command(rolecall_bin(), envs);
        cmd.args(args);
        timed(&mut cmd, None)
    };
    run(&envs, &["source", "add", "corp", "--sso-session", "corp", "--share-with-aws-cli"]);
    run(&login_envs, &["source", "login", "corp"]);
    run(&envs, &["role", "add", "sso-ro", "--source", "corp", "--account", "111111111111", "--role-name", "ReadOnly"]);

    let iam = measure(runs, || run(&envs, &["assume", "admin"]).0);
    let sso_assume = measure(runs, || run(&envs, &["assume", "sso-ro"]).0);
    emit_times("sso", "assume_iam_keys", &iam);
    emit_times("sso", "assume_sso", &sso_assume);

    // botocore: the AWS CLI resolving the SSO profile itself (token cache, GetRoleCredentials at
    // the fake), and the same command reading the profile rolecall wrote; both then call STS.
    let mut cli_envs = sandbox.envs_for(None, None);
    cli_envs.extend(sso.envs());
    cli_envs.push(("AWS_ENDPOINT_URL_STS".to_owned(), world.moto().endpoint()));
    let identity = |profile: &str| {
        let mut cmd = sandbox.command(venv_tool("aws"), &cli_envs);
        cmd.args(["sts", "get-caller-identity", "--profile", profile, "--output", "json"]);
        timed(&mut cmd, None)
    };
    for profile in ["corp-ro", "sso-ro"] {
        let out = identity(profile).1;
        let arn = FakeSso::assumed_role_arn("111111111111", "ReadOnly");
        assert!(String::from_utf8_lossy(&out.stdout).contains(&arn), "{profile}: the SSO role's identity");
    }
    let botocore = measure(runs, || identity("corp-ro").0);
    let rolecalls = measure(runs, || identity("sso-ro").0);
    emit_times("sso", "botocore_sso_profile", &botocore);
    emit_times("sso", "aws_cli_rolecall_profile", &rolecalls);

    // Discovery of a large organisation near the throttle.
    let (accounts, roles) = DISCOVERY_GRID;
    sso.assign_grid(accounts, roles);
    let (lo, hi) = PORTAL_LATENCY_MS;
    sso.set_latency_range(Duration::from_millis(lo), Duration::from_millis(hi));
    sso.set_throttle(Some(PORTAL_LIMIT));
    for i in 0..discoveries.max(1) {
        eprintln!("bench: sso discovery {} of {} ({accounts} accounts x {roles} roles)", i + 1, discoveries.max(1));
        sso.clear_requests();
        let (took, out) = run(&envs, &["sso", "roles", "corp", "--json", "--refresh"]);
        let listed: Value = serde_json::from_slice(&out.stdout).expect("sso roles prints JSON");
        let shown: usize = listed["accounts"]
            .as_array()
            .map_or(0, |a| a.iter().map(|x| x["roles"].as_array().map_or(0, Vec::len)).sum());
        assert_eq!(shown, accounts * roles, "every role listed");
        let requests: Vec<SsoRequest> =
            sso.requests().into_iter().filter(|r| r.path.starts_with("/assignment/")).collect();
        let refused = requests.iter().filter(|r| r.status == 429).count();
        let accepted = requests.len() - refused;
        let seconds = took.as_secs_f64();
        let per_second = accepted as f64 / seconds;
        emit(json!({"bench": "sso", "tool": "discovery", "run": i + 1, "accounts": accounts,
            "roles_per_account": roles, "roles": shown, "limit_per_second": PORTAL_LIMIT,
            "latency_ms": [lo, hi], "seconds": seconds, "requests": requests.len(), "accepted": accepted,
            "refused": refused, "max_refusals_in_a_row": most_refusals_in_a_row(&requests),
            "per_second": per_second, "share_of_limit": per_second / PORTAL_LIMIT as f64,
            "ideal_seconds": accepted as f64 / PORTAL_LIMIT as f64}));
    }
    // The kept listing, shown again: no portal request.
    sso.clear_requests();
    let cached = measure(runs, || run(&envs, &["sso", "roles", "corp"]).0);
    assert!(sso.requests().is_empty(), "the kept listing asks nothing of the portal");
    let mut record = times_json("sso", "cached_listing", &cached);
    record["roles"] = json!(accounts * roles);
    emit(record);
}

/// The most times one listing request (path, account, page) was refused in a row.
fn most_refusals_in_a_row(requests: &[SsoRequest]) -> usize {
    let mut in_a_row: BTreeMap<(String, Option<String>, Option<String>), usize> = BTreeMap::new();
    let mut most = 0;
    for r in requests {
        let key = (r.path.clone(), r.params.get("account_id").cloned(), r.params.get("next_token").cloned());
        let n = in_a_row.entry(key).or_default();
        *n = if r.status == 429 { *n + 1 } else { 0 };
        most = most.max(*n);
    }
    most
}

/// Sessions of the `served` section's job: one minute, for the real fifteen (time scaled 15:1).
const JOB_SESSION_SECS: i64 = 60;

/// `credential_process` served by the tray app, the CLI's fallback, the peers' full assume; and
/// a long job's process runs.
fn bench_served(runs: usize, job_secs: u64) {
    eprintln!("bench: served ({runs} runs each; a {job_secs} s job)");
    let (w, role_arn) = bench_world(World::builder().desktop().proxy(), ["file-admin".to_owned()]);
    // The source profile `aws sts assume-role` starts from (rolecall's is in the keychain).
    let (key, secret) = (&w.alice().access_key_id, &w.alice().secret_access_key);
    w.sandbox
        .write(".aws/credentials", &format!("[src]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"));
    rolecall(&w, &["role", "add", "admin", "--arn", &role_arn, "--source", "work", "--delivery", "process"], None);
    let mut app = TrayApp::start_with_envs(&tray_bin(), &w.sandbox, w.gui_envs(), &[]);
    app.wait_registered(w.desktop());
    let socket_dir = w.sandbox.home().join(".run/rolecall");
    rolecall_e2e::wait_until("the app's credentials socket", Duration::from_secs(20), || {
        std::fs::read_dir(&socket_dir)
            .is_ok_and(|mut d| d.any(|e| e.is_ok_and(|e| e.path().extension().is_some_and(|x| x == "sock"))))
    });
    let credentials = |envs: &[(String, String)]| {
        let mut cmd = w.sandbox.command(rolecall_bin(), envs);
        cmd.args(["credentials", "admin"]);
        timed(&mut cmd, None).0
    };
    let envs = w.envs();
    let before = w.sts().count("AssumeRole");
    let served = measure(runs, || credentials(&envs));
    let assumed_served = w.sts().count("AssumeRole") - before;
    let mut record = times_json("served", "served_by_tray", &served);
    record["assume_role_calls"] = json!(assumed_served);
    emit(record);
    // No runtime dir of the app's: the CLI assumes itself, as it does with no app running.
    let alone = tempfile::tempdir().unwrap();
    let mut no_app = envs.clone();
    no_app.retain(|(k, _)| k != "XDG_RUNTIME_DIR");
    no_app.push(("XDG_RUNTIME_DIR".to_owned(), alone.path().to_string_lossy().into_owned()));
    let before = w.sts().count("AssumeRole");
    let fallback = measure(runs, || credentials(&no_app));
    let mut record = times_json("served", "cli_fallback", &fallback);
    record["assume_role_calls"] = json!(w.sts().count("AssumeRole") - before);
    emit(record);
    emit_times("served", "rolecall_assume", &measure(runs, || rolecall(&w, &["assume", "file-admin"], None)));
    let assume_role = || {
        let mut cmd = w.sandbox.command(venv_tool("aws"), &envs);
        cmd.args(["sts", "assume-role", "--role-arn", &role_arn, "--role-session-name", "bench"]);
        cmd.args(["--profile", "src", "--output", "json"]);
        timed(&mut cmd, None).0
    };
    emit_times("served", "aws_sts_assume_role", &measure(runs, assume_role));
    drop(app);

    // The job: one-minute sessions from the proxy, the SDK running the profile's command through
    // a wrapper that counts its runs (`&&`, not `;`, which starts a comment in a profiles file).
    w.sts().set_script(vec![rolecall_e2e::Reply::ForwardFor(w.moto().port(), JOB_SESSION_SECS)]);
    let mut app = TrayApp::start_with_envs(&tray_bin(), &w.sandbox, w.gui_envs(), &[]);
    app.wait_registered(w.desktop());
    let count = w.sandbox.home().join("process-runs");
    let config = w.sandbox.home().join("job-config");
    std::fs::write(
        &config,
        format!(
            "[profile job]\ncredential_process = echo run >> {} && exec {} credentials admin\n",
            count.display(),
            rolecall_bin().display()
        ),
    )
    .unwrap();
    let mut job_envs = w.envs();
    job_envs.retain(|(k, _)| k != "AWS_CONFIG_FILE" && k != "AWS_PROFILE");
    job_envs.extend([
        ("AWS_CONFIG_FILE".to_owned(), config.to_string_lossy().into_owned()),
        ("AWS_PROFILE".to_owned(), "job".to_owned()),
    ]);
    let calls = job_secs;
    let before = w.sts().count("AssumeRole");
    let mut cmd = w.sandbox.command(rolecall_e2e::rust_sdk_bin(), &job_envs);
    cmd.args(["--calls", &calls.to_string(), "--every-ms", "1000"]);
    let (took, _) = timed(&mut cmd, None);
    let runs_seen = std::fs::read_to_string(&count).unwrap_or_default().lines().count();
    emit(json!({"bench": "served", "tool": "job", "sdk": "aws-sdk-rust (aws-config)", "api_calls": calls,
        "seconds": took.as_secs_f64(), "session_secs": JOB_SESSION_SECS, "scale": 15,
        "process_runs": runs_seen, "assume_role_calls": w.sts().count("AssumeRole") - before}));
    drop(app);
}

/// The tray app: launch, idle, and many clicks.
fn bench_tray(idle_secs: u64, clicks: usize) {
    eprintln!("bench: tray ({TRAY_FAVOURITES} active favourites)");
    let names: Vec<String> = (1..=TRAY_FAVOURITES).map(|i| format!("f{i}")).collect();
    let (world, _) = bench_world(World::builder().desktop(), names.clone());
    let mut args = vec!["renew"];
    args.extend(names.iter().map(String::as_str));
    rolecall(&world, &args, None);
    let (sandbox, desktop) = (&world.sandbox, world.desktop());
    let bin = tray_bin();
    let envs = world.gui_envs();

    let mut launches = Vec::new();
    for _ in 0..LAUNCHES {
        let (app, took) = launch(&bin, sandbox, &envs, desktop);
        launches.push(took);
        drop(app);
        while !desktop.tray_items().is_empty() {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    emit_times("tray", "launch_to_registered", &launches);

    let (app, _) = launch(&bin, sandbox, &envs, desktop);
    let pid = app.pid();
    // Let the first menu build, the file watchers and the scheduler settle.
    std::thread::sleep(Duration::from_secs(5));
    let idle = memory(pid);
    let (ticks_before, ns_before) = (app.cpu_time(), cpu_ns(pid));
    eprintln!("bench: tray idle for {idle_secs} s");
    std::thread::sleep(Duration::from_secs(idle_secs));
    let (ticks, ns) = (app.cpu_time() - ticks_before, cpu_ns(pid) - ns_before);
    let per_minute = |v: f64| v * 60.0 / idle_secs as f64;
    emit(json!({"bench": "tray", "tool": "idle", "favourites": TRAY_FAVOURITES, "seconds": idle_secs,
        "cpu_ms": ns as f64 / 1e6, "cpu_ms_per_minute": per_minute(ns as f64 / 1e6),
        "cpu_ticks_ms": ticks.as_millis() as u64, "memory": idle, "after": memory(pid)}));
    emit(json!({"bench": "tray", "tool": "mappings", "top": mappings(pid, 12)}));

    eprintln!("bench: tray {clicks} clicks");
    let credentials = sandbox.credentials_path();
    let mut latencies = Vec::new();
    let mut retries = 0;
    let mut after_warm_up = Value::Null;
    for i in 0..clicks {
        if i == WARM_UP_CLICKS {
            after_warm_up = memory(pid);
        }
        let name = &names[i % names.len()];
        let (took, tries) = click_and_wait(&app, name, &credentials);
        latencies.push(took);
        retries += tries - 1;
    }
    let mut record = times_json("tray", "click_to_written", &latencies);
    record["clicks"] = json!(clicks);
    record["retries"] = json!(retries);
    record["memory_after_warm_up"] = after_warm_up;
    record["warm_up_clicks"] = json!(WARM_UP_CLICKS.min(clicks));
    // The refresher's last rebuild and any freed memory settle.
    std::thread::sleep(Duration::from_secs(2));
    record["memory_after"] = memory(pid);
    emit(record);
}

/// Starts the tray app and times launch → its item registered with the watcher (polling the
/// watcher as fast as busctl answers).
fn launch(bin: &Path, sandbox: &Sandbox, envs: &[(String, String)], desktop: &Desktop) -> (TrayApp, Duration) {
    let started = Instant::now();
    let mut app = TrayApp::start_with_envs(bin, sandbox, envs.to_vec(), &[]);
    let took = loop {
        if !desktop.tray_items().is_empty() {
            break started.elapsed();
        }
        assert!(app.exited().is_none() && started.elapsed() < Duration::from_secs(60), "{}", app.log());
    };
    app.wait_registered(desktop);
    (app, took)
}

/// Clicks favourite `name` in the tray menu and waits until its profile holds new credentials;
/// clicks again when an entry id went stale under a menu rebuild. Returns the time from the
/// (last) click and the number of clicks it took.
fn click_and_wait(app: &TrayApp, name: &str, credentials: &Path) -> (Duration, u32) {
    let before = profile_key(credentials, name);
    for tries in 1..=5 {
        let menu = app.menu();
        let item = menu
            .children
            .iter()
            .find(|i| i.label == *name || i.label.starts_with(&format!("{name} · ")))
            .unwrap_or_else(|| panic!("no entry for {name} in:\n{menu}"));
        let clicked = Instant::now();
        if app.item().click_id(item.id).is_err() {
            continue;
        }
        while clicked.elapsed() < Duration::from_secs(5) {
            if profile_key(credentials, name) != before {
                return (clicked.elapsed(), tries);
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    panic!("five clicks on {name} wrote nothing:\n{}", app.log());
}

/// The access key id in section `[profile]` of a credentials file.
fn profile_key(credentials: &Path, profile: &str) -> Option<String> {
    let text = std::fs::read_to_string(credentials).ok()?;
    let header = format!("[{profile}]");
    let mut lines = text.lines().skip_while(|l| l.trim() != header).skip(1);
    lines.by_ref().take_while(|l| !l.starts_with('[')).find_map(|l| {
        l.split_once('=').filter(|(k, _)| k.trim() == "aws_access_key_id").map(|(_, v)| v.trim().to_owned())
    })
}

/// Resident memory of `pid` from `/proc/PID/status` and `smaps_rollup`, in KiB, and its threads.
fn memory(pid: u32) -> Value {
    let mut out = BTreeMap::new();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    for line in status.lines() {
        let (key, value) = line.split_once(':').unwrap_or_default();
        if matches!(key, "VmRSS" | "VmHWM" | "RssAnon" | "RssFile" | "RssShmem" | "Threads") {
            out.insert(key.to_owned(), leading_number(value));
        }
    }
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    for line in rollup.lines() {
        let (key, value) = line.split_once(':').unwrap_or_default();
        if matches!(key, "Pss" | "Private_Dirty" | "Shared_Clean" | "Private_Clean") {
            out.insert(key.to_owned(), leading_number(value));
        }
    }
    json!(out)
}

/// The `top` largest mappings of `pid` by resident size, grouped by file (anonymous memory as
/// `[anon]`), in KiB: where the resident memory goes.
fn mappings(pid: u32, top: usize) -> Value {
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let mut by_name: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut current = String::new();
    for line in smaps.lines() {
        let first = line.split_whitespace().next().unwrap_or_default();
        if first.contains('-') && !first.ends_with(':') {
            // A mapping's header: range perms offset dev inode [path].
            let path = line.split_whitespace().nth(5).unwrap_or("[anon]");
            current = Path::new(path).file_name().map_or(path.to_owned(), |f| f.to_string_lossy().into_owned());
        } else if let Some(value) = line.strip_prefix("Rss:") {
            by_name.entry(current.clone()).or_default().0 += leading_number(value);
        } else if let Some(value) = line.strip_prefix("Private_Dirty:") {
            by_name.entry(current.clone()).or_default().1 += leading_number(value);
        }
    }
    let mut sorted: Vec<_> = by_name.into_iter().collect();
    sorted.sort_by_key(|(_, (rss, _))| std::cmp::Reverse(*rss));
    sorted
        .into_iter()
        .take(top)
        .map(|(name, (rss, dirty))| json!({"name": name, "rss_kib": rss, "private_dirty_kib": dirty}))
        .collect()
}

/// CPU time of every thread of `pid` so far, in nanoseconds (`/proc/PID/task/*/schedstat`).
fn cpu_ns(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return 0 };
    tasks
        .filter_map(Result::ok)
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next().and_then(|n| n.parse::<u64>().ok()))
        .sum()
}

fn leading_number(text: &str) -> u64 {
    text.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0)
}

/// Runs `f` once to warm caches, then `runs` times; the times measured.
fn measure(runs: usize, mut f: impl FnMut() -> Duration) -> Vec<Duration> {
    f();
    (0..runs).map(|_| f()).collect()
}

/// Runs `cmd` to completion (stdin from `stdin`, output captured) and times it from spawn to exit.
///
/// # Panics
/// If it cannot start or fails, with its output.
fn timed(cmd: &mut Command, stdin: Option<&str>) -> (Duration, Output) {
    use std::io::Write;
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {:?}: {e}", cmd.get_program()));
    if let (Some(mut pipe), Some(text)) = (child.stdin.take(), stdin) {
        pipe.write_all(text.as_bytes()).expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait");
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{:?} {:?} failed ({}):\n{}\n{}",
        cmd.get_program(),
        cmd.get_args().collect::<Vec<_>>(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (took, out)
}

/// The first line a tool prints for `args` (stdout, else stderr; AWS CLI v1 uses stderr).
fn version(bin: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new(bin);
    apply_envs(&mut cmd, &[]).args(args);
    match cmd.output() {
        Ok(out) => {
            let text = if out.stdout.is_empty() { out.stderr } else { out.stdout };
            String::from_utf8_lossy(&text).lines().next().unwrap_or_default().trim().to_owned()
        }
        Err(e) => format!("not runnable: {e}"),
    }
}

/// awsume's executable, from `ROLECALL_BENCH_AWSUME`, if that is set and is a file.
fn awsume() -> Option<PathBuf> {
    std::env::var_os("ROLECALL_BENCH_AWSUME").map(PathBuf::from).filter(|p| p.is_file())
}

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn emit_times(bench: &str, tool: &str, times: &[Duration]) {
    emit(times_json(bench, tool, times));
}

/// Median, minimum, maximum and every sample, in milliseconds.
fn times_json(bench: &str, tool: &str, times: &[Duration]) -> Value {
    let mut ms: Vec<f64> = times.iter().map(|t| t.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    let median = match ms.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => ms[n / 2],
        n => (ms[n / 2 - 1] + ms[n / 2]) / 2.0,
    };
    json!({"bench": bench, "tool": tool, "runs": ms.len(), "median_ms": median,
        "min_ms": ms.first(), "max_ms": ms.last(), "samples_ms": ms})
}

fn emit(record: Value) {
    println!("{record}");
}
