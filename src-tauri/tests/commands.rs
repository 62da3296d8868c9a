//! The commands through Tauri's mock runtime with the app's real context: IPC shapes, `{code,
//! message}` errors, the capability set (only the app's own windows may call) and the shipped
//! security config. Files are real (a temp HOME).

use std::collections::BTreeSet;

use rolecall_app::{Paths, Services};
use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

struct Fixture {
    _home: tempfile::TempDir,
    paths: Paths,
    _app: App<MockRuntime>,
    settings: WebviewWindow<MockRuntime>,
    mfa: WebviewWindow<MockRuntime>,
    signin: WebviewWindow<MockRuntime>,
    other: WebviewWindow<MockRuntime>,
}

fn fixture() -> Fixture {
    let home = tempfile::tempdir().unwrap();
    let paths = Paths {
        config_dir: home.path().join("config"),
        data_dir: home.path().join("data"),
        credentials_file: home.path().join(".aws/credentials"),
        aws_config_file: home.path().join(".aws/config"),
        sso_cache_dir: home.path().join(".aws/sso/cache"),
    };
    let services = Services::new(paths.clone(), "rolecall-test".into(), None);
    let app = rolecall_tray::build_app(mock_builder(), services, false).build(tauri::generate_context!()).unwrap();
    let settings = WebviewWindowBuilder::new(&app, "settings", Default::default()).build().unwrap();
    let mfa = WebviewWindowBuilder::new(&app, "mfa", Default::default()).build().unwrap();
    let signin = WebviewWindowBuilder::new(&app, "signin", Default::default()).build().unwrap();
    let other = WebviewWindowBuilder::new(&app, "intruder", Default::default()).build().unwrap();
    Fixture { _home: home, paths, _app: app, settings, mfa, signin, other }
}

fn call(w: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().unwrap(),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(w, request).map(|b| b.deserialize::<Value>().unwrap())
}

fn favourite(name: &str, source: &str) -> Value {
    json!({ "input": {
        "name": name, "arn": "arn:aws:iam::123456789012:role/Admin", "source": source, "profile": "",
        "duration": "45m", "sessionName": "", "externalId": "", "mfa": false, "region": "eu-west-1",
        "tags": ["team=ops"], "transitiveTags": [], "sourceIdentity": "", "policyArns": []
    }, "replacing": null })
}

fn write_config(f: &Fixture) {
    std::fs::create_dir_all(&f.paths.config_dir).unwrap();
    std::fs::write(
        f.paths.config_file(),
        "version = 1\n[sources.work]\ntype = \"keychain\"\nkey_hint = \"****MPLE\"\nidentity = \"arn:aws:iam::123456789012:user/alice\"\n",
    )
    .unwrap();
}

#[test]
fn favourites_are_saved_listed_edited_and_removed() {
    let f = fixture();
    write_config(&f);
    let saved = call(&f.settings, "save_favourite", favourite("prod", "work")).unwrap();
    assert_eq!(saved["profile"], "prod");
    assert_eq!(saved["durationSecs"], 2700);
    let list = call(&f.settings, "list_favourites", json!({})).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["session"]["state"], "never");
    assert_eq!(list[0]["tags"], json!([{"key": "team", "value": "ops"}]));
    // Rename through an edit.
    let mut edit = favourite("production", "work");
    edit["replacing"] = json!("prod");
    call(&f.settings, "save_favourite", edit).unwrap();
    let list = call(&f.settings, "list_favourites", json!({})).unwrap();
    assert_eq!(list[0]["name"], "production");
    let toml = std::fs::read_to_string(f.paths.config_file()).unwrap();
    assert!(toml.contains("[roles.production]") && !toml.contains("[roles.prod]"), "{toml}");
    call(&f.settings, "remove_favourite", json!({"name": "production"})).unwrap();
    assert_eq!(call(&f.settings, "list_favourites", json!({})).unwrap(), json!([]));
}

#[test]
fn errors_arrive_as_code_and_message() {
    let f = fixture();
    write_config(&f);
    let e = call(&f.settings, "save_favourite", favourite("x", "nowhere")).unwrap_err();
    assert_eq!(e, json!({"code": "config.not_found", "message": "source or favourite nowhere: not found"}));
    let mut bad = favourite("x", "work");
    bad["input"]["duration"] = json!("13h");
    let e = call(&f.settings, "save_favourite", bad).unwrap_err();
    assert_eq!(e["code"], "input.invalid");
    assert!(e["message"].as_str().unwrap().starts_with("duration: must be between"));
    assert_eq!(
        call(&f.settings, "validate_field", json!({"field": "region", "value": "mars"})).unwrap(),
        json!("region: is not an AWS region name like us-east-1")
    );
    assert_eq!(
        call(&f.settings, "validate_field", json!({"field": "region", "value": "eu-west-1"})).unwrap(),
        Value::Null
    );
    let e = call(&f.mfa, "submit_mfa", json!({"requestId": "mfa-1", "code": "12"})).unwrap_err();
    assert_eq!(e["code"], "input.invalid");
    let e = call(&f.mfa, "submit_mfa", json!({"requestId": "mfa-1", "code": "123456"})).unwrap_err();
    assert_eq!(e["code"], "mfa.stale");
}

#[test]
fn sources_and_preferences() {
    let f = fixture();
    // Keys sources go to the real keychain (covered end to end); an AWS-profile source needs none.
    let v = call(&f.settings, "add_source", json!({"input": {"name": "corp", "accessKeyId": null, "secretAccessKey": null, "awsProfile": "corp-sso", "mfaSerial": "arn:aws:iam::123456789012:mfa/alice", "verify": false}})).unwrap();
    assert_eq!(
        v,
        json!({"name": "corp", "kind": "aws_profile", "keyHint": null, "awsProfile": "corp-sso", "ssoStartUrl": null, "mfaSerial": "arn:aws:iam::123456789012:mfa/alice", "identity": null})
    );
    let prefs = call(&f.settings, "get_preferences", json!({})).unwrap();
    assert_eq!(
        prefs,
        json!({"notifyBeforeMinutes": 10, "autoRenew": false, "renewBeforeMinutes": 5, "startAtLogin": false, "mfaSessionHours": 12, "consoleSignOutFirst": false, "neverWriteSecrets": false})
    );
    // Nothing to convert yet; converting then changes nothing.
    assert_eq!(call(&f.settings, "file_favourites", json!({})).unwrap(), json!([]));
    assert_eq!(call(&f.settings, "convert_favourites", json!({})).unwrap(), json!({"converted": [], "skipped": []}));
    let e = call(
        &f.settings,
        "set_preferences",
        json!({"prefs": {"notifyBeforeMinutes": 0, "autoRenew": true, "renewBeforeMinutes": 5, "startAtLogin": false, "mfaSessionHours": 12}}),
    )
    .unwrap_err();
    assert_eq!(e["code"], "input.invalid");
    call(&f.settings, "set_preferences", json!({"prefs": {"notifyBeforeMinutes": 15, "autoRenew": true, "renewBeforeMinutes": 5, "startAtLogin": false, "mfaSessionHours": 12}})).unwrap();
    assert_eq!(call(&f.settings, "get_preferences", json!({})).unwrap()["notifyBeforeMinutes"], 15);
}

#[test]
fn only_the_apps_own_windows_may_call_commands() {
    let f = fixture();
    let e = call(&f.other, "list_sources", json!({})).unwrap_err();
    assert!(e.to_string().contains("not allowed"), "{e}");
    assert!(call(&f.settings, "list_sources", json!({})).is_ok());
    assert_eq!(call(&f.settings, "app_info", json!({})).unwrap()["version"], env!("CARGO_PKG_VERSION"));
}

#[test]
fn the_shipped_config_is_locked_down() {
    let conf: Value = serde_json::from_str(include_str!("../tauri.conf.json")).unwrap();
    assert_eq!(conf["app"]["withGlobalTauri"], false);
    let csp = conf["app"]["security"]["csp"].as_str().unwrap();
    for directive in ["default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'"] {
        assert!(csp.contains(directive), "CSP lacks {directive}: {csp}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval") && !csp.contains("http:")
            || csp.contains("http://ipc.localhost"),
        "{csp}"
    );
    assert_eq!(conf["app"]["security"]["capabilities"], json!(["settings", "mfa", "signin"]));
    for (window, caps) in capabilities() {
        assert_eq!(caps["identifier"], window);
        assert_eq!(caps["windows"], json!([window]), "each capability is one window's");
        for p in permissions(&caps) {
            assert!(p.starts_with("allow-") || p.starts_with("core:event:allow-"), "unexpected permission {p}");
        }
    }
}

/// The shipped capability files: (window, capability).
fn capabilities() -> [(&'static str, Value); 3] {
    [
        ("settings", serde_json::from_str(include_str!("../capabilities/settings.json")).unwrap()),
        ("mfa", serde_json::from_str(include_str!("../capabilities/mfa.json")).unwrap()),
        ("signin", serde_json::from_str(include_str!("../capabilities/signin.json")).unwrap()),
    ]
}

fn permissions(caps: &Value) -> BTreeSet<String> {
    caps["permissions"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_owned()).collect()
}

/// The app's commands, as build.rs declares them (each gets an `allow-…` permission).
fn commands() -> Vec<String> {
    let build = include_str!("../build.rs");
    let start = build.find("const COMMANDS: &[&str] = &[").expect("COMMANDS in build.rs");
    let list = &build[start..start + build[start..].find("];").unwrap()];
    let names: Vec<String> = list.split('"').skip(1).step_by(2).map(str::to_owned).collect();
    assert!(names.len() > 10 && names.contains(&"submit_mfa".to_owned()), "{names:?}");
    names
}

/// The MFA commands: the only ones the MFA window may call, and the settings window may not.
const MFA_COMMANDS: &[&str] = &["mfa_pending", "submit_mfa", "cancel_mfa"];
/// The sign-in window's commands: the only ones it may call, and no other window may.
const SIGNIN_COMMANDS: &[&str] = &["signin_pending", "signin_open_browser", "signin_copy_code", "signin_cancel"];

/// Arguments that let each command run (its answer may still be an error of its own).
fn args_for(cmd: &str) -> Value {
    match cmd {
        "add_source" => {
            json!({"input": {"name": "x", "accessKeyId": null, "secretAccessKey": null, "awsProfile": "p", "mfaSerial": null, "verify": false}})
        }
        // An invalid name: refused before the assume reaches the action runner (not running here).
        "remove_source" | "remove_favourite" | "assume" => json!({"name": "bad name"}),
        "save_favourite" => favourite("x", "nowhere"),
        "validate_field" => json!({"field": "region", "value": "eu-west-1"}),
        "set_preferences" => json!({"prefs": {}}),
        "import_profiles" => json!({"profiles": []}),
        "submit_mfa" => json!({"requestId": "mfa-1", "code": "123456"}),
        "cancel_mfa" => json!({"requestId": "mfa-1"}),
        "signin_open_browser" | "signin_copy_code" | "signin_cancel" => json!({"requestId": "signin-1"}),
        _ => json!({}),
    }
}

/// Whether Tauri refused the call for want of a permission: a plain string, not rolecall's own
/// `{code, message}` (whose messages may say "not allowed" too).
fn refused(r: &Result<Value, Value>) -> bool {
    r.as_ref().is_err_and(|e| e.as_str().is_some_and(|m| m.contains("not allowed")))
}

#[test]
fn the_mfa_and_sign_in_windows_may_call_only_their_commands_and_the_settings_window_none_of_them() {
    let f = fixture();
    write_config(&f);
    let all = commands();
    for cmd in &all {
        let mfa_only = MFA_COMMANDS.contains(&cmd.as_str());
        let signin_only = SIGNIN_COMMANDS.contains(&cmd.as_str());
        let from_mfa = call(&f.mfa, cmd, args_for(cmd));
        let from_settings = call(&f.settings, cmd, args_for(cmd));
        let from_signin = call(&f.signin, cmd, args_for(cmd));
        assert_eq!(refused(&from_mfa), !mfa_only, "{cmd} from the MFA window: {from_mfa:?}");
        assert_eq!(
            refused(&from_settings),
            mfa_only || signin_only,
            "{cmd} from the settings window: {from_settings:?}"
        );
        assert_eq!(refused(&from_signin), !signin_only, "{cmd} from the sign-in window: {from_signin:?}");
    }
    // Nothing is waiting for a code: the sign-in window's asks are stale, none reaches the portal.
    assert_eq!(call(&f.signin, "signin_pending", json!({})).unwrap(), Value::Null);
    let e = call(&f.signin, "signin_open_browser", args_for("signin_open_browser")).unwrap_err();
    assert_eq!(e["code"], "cancelled", "{e}");
    // What the MFA window asked for before went through: an unknown request is stale.
    let e = call(&f.mfa, "submit_mfa", args_for("submit_mfa")).unwrap_err();
    assert_eq!(e["code"], "mfa.stale");
    assert_eq!(call(&f.mfa, "mfa_pending", json!({})).unwrap(), Value::Null);
    // The refusals changed nothing.
    assert!(!std::fs::read_to_string(f.paths.config_file()).unwrap().contains("[roles.x]"));
}

/// The ipc.ts functions a window's code imports, from its entry script through every relative
/// import: the source of truth for what the window calls.
fn ipc_names_used_by(entry: &str) -> BTreeSet<String> {
    let ui = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui");
    let mut todo = vec![ui.join(entry)];
    let mut seen = BTreeSet::new();
    let mut names = BTreeSet::new();
    while let Some(file) = todo.pop() {
        if !seen.insert(file.clone()) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut rest = text.as_str();
        while let Some(i) = rest.find("import ") {
            let statement = &rest[i..];
            let Some(from) = statement.find(" from \"") else { break };
            let clause = &statement[..from];
            let module = &statement[from + 7..];
            let module = &module[..module.find('"').unwrap()];
            rest = &statement[from..];
            if !module.starts_with('.') || clause.starts_with("import type ") {
                continue;
            }
            let target = file.parent().unwrap().join(format!("{module}.ts"));
            let target = target.canonicalize().unwrap_or_else(|e| panic!("{}: {e}", target.display()));
            if target.file_name().is_some_and(|n| n == "ipc.ts") {
                let inside = &clause[clause.find('{').unwrap() + 1..clause.find('}').unwrap()];
                names.extend(
                    inside
                        .split(',')
                        .map(str::trim)
                        .filter(|n| !n.is_empty() && !n.starts_with("type "))
                        .map(str::to_owned),
                );
            } else {
                todo.push(target);
            }
        }
    }
    names
}

/// The permissions the functions `names` of ipc.ts need: `allow-CMD` for each command one calls,
/// the event permissions for each one that listens.
fn permissions_needed(names: &BTreeSet<String>) -> BTreeSet<String> {
    let ipc = include_str!("../../ui/src/ipc.ts");
    let mut needed = BTreeSet::new();
    for name in names {
        let Some(start) = ipc.find(&format!("export const {name} = ")) else { continue };
        let statement = &ipc[start..start + ipc[start..].find(';').unwrap()];
        if let Some(c) = statement.find("call<") {
            let cmd = statement[c..].split('"').nth(1).expect("a command name");
            needed.insert(format!("allow-{}", cmd.replace('_', "-")));
        } else if statement.contains("=> on<") {
            needed.extend(["core:event:allow-listen".to_owned(), "core:event:allow-unlisten".to_owned()]);
        }
    }
    needed
}

#[test]
fn each_windows_capability_grants_exactly_what_its_code_calls() {
    for (window, caps) in capabilities() {
        let entry = format!("src/{window}/main.ts");
        let html = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../ui/{window}.html")),
        )
        .unwrap();
        assert!(html.contains(&format!("src=\"/{entry}\"")), "{window}.html loads {entry}");
        let used = ipc_names_used_by(&entry);
        let needed = permissions_needed(&used);
        assert!(needed.len() >= 3, "{window} uses {used:?}");
        assert_eq!(
            permissions(&caps),
            needed,
            "the {window} window's capability against what its code calls ({used:?})"
        );
    }
}

/// A session secret and token rolecall wrote, and a source's keys: none may reach the webview.
const SESSION_SECRET: &str = "sessionSecretNeverInTheWebview0123456789";
const SESSION_TOKEN: &str = "sessionTokenNeverInTheWebview0123456789";
const SOURCE_KEY_ID: &str = "AKIATAURIHYGIENE0001";
const SOURCE_SECRET: &str = "sourceSecretNeverInTheWebview012345678";

/// The config (source `work`, favourite `prod`) and a session rolecall wrote for `prod`.
fn write_session(f: &Fixture) {
    write_config(f);
    let mut toml = std::fs::read_to_string(f.paths.config_file()).unwrap();
    toml.push_str(
        "[roles.prod]\narn = \"arn:aws:iam::123456789012:role/Admin\"\nsource = \"work\"\nprofile = \"prod\"\n",
    );
    std::fs::write(f.paths.config_file(), toml).unwrap();
    std::fs::create_dir_all(f.paths.credentials_file.parent().unwrap()).unwrap();
    std::fs::write(
        &f.paths.credentials_file,
        format!(
            "[prod]\naws_access_key_id = ASIATAURISESSION0001\naws_secret_access_key = {SESSION_SECRET}\naws_session_token = {SESSION_TOKEN}\nx_security_token_expires = 2099-01-01T00:00:00Z\nx_rolecall_favourite = prod\n"
        ),
    )
    .unwrap();
    std::fs::write(
        &f.paths.aws_config_file,
        "[profile imported]\nrole_arn = arn:aws:iam::123456789012:role/Admin\nsource_profile = default\n",
    )
    .unwrap();
}

#[test]
fn no_command_response_carries_secret_material() {
    let f = fixture();
    write_session(&f);
    let keys_source = json!({"input": {"name": "hygiene", "accessKeyId": SOURCE_KEY_ID, "secretAccessKey": SOURCE_SECRET, "awsProfile": null, "mfaSerial": null, "verify": false}});
    let mut responses = Vec::new();
    let mut record = |r: Result<Value, Value>| responses.push(r.unwrap_or_else(|e| e).to_string());
    record(call(&f.settings, "app_info", json!({})));
    // Stored in the keychain if one is reachable, refused (keychain.unavailable) if not: either
    // way the answer names the source, never its keys.
    record(call(&f.settings, "add_source", keys_source.clone()));
    record(call(&f.settings, "add_source", keys_source));
    record(call(&f.settings, "list_sources", json!({})));
    record(call(&f.settings, "list_favourites", json!({})));
    record(call(&f.settings, "save_favourite", favourite("other", "work")));
    record(call(&f.settings, "get_preferences", json!({})));
    record(call(&f.settings, "import_candidates", json!({})));
    record(call(&f.mfa, "mfa_pending", json!({})));
    record(call(&f.settings, "validate_field", json!({"field": "accessKeyId", "value": SOURCE_SECRET})));
    record(call(&f.settings, "validate_field", json!({"field": "secretAccessKey", "value": SOURCE_SECRET})));
    record(call(&f.mfa, "submit_mfa", json!({"requestId": "mfa-1", "code": SOURCE_SECRET})));
    record(call(&f.settings, "remove_source", json!({"name": "hygiene"})));
    let all = responses.join("\n");
    assert!(all.contains("\"prod\"") && all.contains("active"), "the session is listed: {all}");
    for secret in [SESSION_SECRET, SESSION_TOKEN, SOURCE_SECRET, SOURCE_KEY_ID, "ASIATAURISESSION0001"] {
        assert!(!all.contains(secret), "a response carries {secret}: {all}");
    }
    let toml = std::fs::read_to_string(f.paths.config_file()).unwrap();
    assert!(!toml.contains(SOURCE_SECRET) && !toml.contains(SOURCE_KEY_ID), "config.toml holds a key: {toml}");
}

#[test]
fn malformed_settings_are_refused_with_a_code_and_change_nothing() {
    let f = fixture();
    write_session(&f);
    let snapshot =
        || [&f.paths.config_file(), &f.paths.credentials_file, &f.paths.aws_config_file].map(|p| std::fs::read(p).ok());
    let before = snapshot();
    let long = |n: usize| "a".repeat(n);
    let mut tried = 0;
    // save_favourite: every field of the form, malformed.
    let cases: Vec<(&str, Value, &str)> = vec![
        ("name", json!("bad name"), "input.invalid"),
        ("name", json!("a]\n[default"), "input.invalid"),
        ("name", json!(""), "input.invalid"),
        ("arn", json!("arn:aws:s3:::bucket/some-key-000"), "input.invalid"),
        ("arn", json!("arn:aws:iam::123456789012:user/alice"), "input.invalid"),
        ("arn", json!("arn:aws-foo:iam::123456789012:role/A"), "input.invalid"),
        ("arn", json!("arn:aws:iam::123456789012:role/A\n[default]"), "input.invalid"),
        ("source", json!("bad name"), "input.invalid"),
        ("source", json!("nowhere"), "config.not_found"),
        ("profile", json!("a]\n[default"), "input.invalid"),
        ("profile", json!("DEFAULT"), "input.invalid"),
        ("profile", json!("profile x"), "input.invalid"),
        ("profile", json!("prod"), "config.invalid"),
        ("profile", json!(long(129)), "input.invalid"),
        ("duration", json!("899"), "input.invalid"),
        ("duration", json!("13h"), "input.invalid"),
        ("duration", json!("soon"), "input.invalid"),
        ("sessionName", json!("has space"), "input.invalid"),
        ("sessionName", json!(long(65)), "input.invalid"),
        ("externalId", json!("x"), "input.invalid"),
        ("externalId", json!(long(1225)), "input.invalid"),
        ("mfa", json!(true), "config.invalid"),
        ("region", json!("mars-1"), "input.invalid"),
        ("region", json!("cn-north-1"), "config.invalid"),
        ("tags", json!(["novalue"]), "input.invalid"),
        ("tags", json!(["aws:x=1"]), "input.invalid"),
        ("tags", json!([format!("{}=v", long(129))]), "input.invalid"),
        ("tags", json!([format!("k={}", long(257))]), "input.invalid"),
        ("tags", json!((0..51).map(|i| format!("k{i}=v")).collect::<Vec<_>>()), "input.invalid"),
        ("tags", json!(["k=1", "K=2"]), "input.invalid"),
        ("transitiveTags", json!(["aws:x"]), "input.invalid"),
        ("transitiveTags", json!(["missing"]), "config.invalid"),
        ("sourceIdentity", json!("has space"), "input.invalid"),
        ("policyArns", json!(["arn:aws:iam::123456789012:role/x"]), "input.invalid"),
        (
            "policyArns",
            json!((0..11).map(|i| format!("arn:aws:iam::123456789012:policy/p{i}")).collect::<Vec<_>>()),
            "config.invalid",
        ),
    ];
    for (field, value, code) in cases {
        let mut input = favourite("x", "work");
        input["input"][field] = value.clone();
        let e = call(&f.settings, "save_favourite", input).expect_err(&format!("{field} = {value} was accepted"));
        assert_eq!(e["code"], code, "{field} = {value}: {e}");
        assert!(!e["message"].as_str().unwrap().is_empty());
        assert_eq!(snapshot(), before, "{field} = {value} changed a file");
        tried += 1;
    }
    let e =
        call(&f.settings, "save_favourite", json!({"input": favourite("x", "work")["input"], "replacing": "bad name"}))
            .unwrap_err();
    assert_eq!(e["code"], "input.invalid");
    tried += 1;
    // add_source: every field, malformed (verify off: no STS).
    let source = |name: &str, id: Value, secret: Value, profile: Value, mfa: Value| json!({"input": {"name": name, "accessKeyId": id, "secretAccessKey": secret, "awsProfile": profile, "mfaSerial": mfa, "verify": false}});
    let good_id = json!("AKIAGOODKEYID0000001");
    let good_secret = json!("goodSecretgoodSecretgoodSecret1234");
    let sources = vec![
        source("bad name", good_id.clone(), good_secret.clone(), Value::Null, Value::Null),
        source("work", good_id.clone(), good_secret.clone(), Value::Null, Value::Null),
        source("prod", good_id.clone(), good_secret.clone(), Value::Null, Value::Null),
        source("x", json!("akialowercase0000001"), good_secret.clone(), Value::Null, Value::Null),
        source("x", json!("AKIA"), good_secret.clone(), Value::Null, Value::Null),
        source("x", good_id.clone(), json!("short"), Value::Null, Value::Null),
        source("x", good_id.clone(), json!("has spaces in the secret key"), Value::Null, Value::Null),
        source("x", Value::Null, Value::Null, Value::Null, Value::Null),
        source("x", good_id.clone(), Value::Null, Value::Null, Value::Null),
        source("x", Value::Null, Value::Null, json!("a]\n[default"), Value::Null),
        source("x", Value::Null, Value::Null, json!("DEFAULT"), Value::Null),
        source("x", Value::Null, Value::Null, json!("corp"), json!("arn:aws:iam::123456789012:role/x")),
        source("x", Value::Null, Value::Null, json!("corp"), json!("arn:aws:s3:::bucket/mfa/x")),
    ];
    for input in sources {
        let e = call(&f.settings, "add_source", input.clone()).expect_err(&format!("{input} was accepted"));
        let code = e["code"].as_str().unwrap();
        assert!(code == "input.invalid" || code == "config.exists", "{input}: {e}");
        assert!(!e.to_string().contains("goodSecret") && !e.to_string().contains("has spaces"), "{e}");
        assert_eq!(snapshot(), before, "{input} changed a file");
        tried += 1;
    }
    println!("reliability: tray_bad_inputs tried={tried} changed=0");
}

#[test]
fn an_identity_center_sources_input_is_checked_and_its_portal_roles_become_favourites_through_the_commands() {
    let f = fixture();
    std::fs::create_dir_all(f.paths.aws_config_file.parent().unwrap()).unwrap();
    std::fs::write(
        &f.paths.aws_config_file,
        "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-central-1\n",
    )
    .unwrap();
    assert_eq!(
        call(&f.settings, "sso_sessions", json!({})).unwrap(),
        json!([{"name": "corp", "startUrl": "https://corp.awsapps.com/start", "region": "eu-central-1"}])
    );
    let input = |name: &str, url: &str, region: &str, session: Value, hours: &str| json!({"input": {"name": name, "startUrl": url, "region": region, "ssoSession": session, "sessionHours": hours, "shareWithAwsCli": false}});
    for (bad, message) in [
        (input("x", "http://example.com/start", "eu-west-1", Value::Null, ""), "start URL: must start with https://"),
        (input("x", "https://corp.awsapps.com/start", "mars", Value::Null, ""), "region: "),
        (
            input("x", "https://corp.awsapps.com/start", "eu-west-1", Value::Null, "0"),
            "session length: must be whole hours",
        ),
        (input("x", "", "", json!("nope"), ""), "sso-session nope: has no sso_start_url"),
    ] {
        let e = call(&f.settings, "add_sso_source", bad.clone()).expect_err(&format!("{bad} was accepted"));
        assert!(e["message"].as_str().unwrap().starts_with(message), "{e}");
        assert!(e["code"].is_string(), "{e}");
    }
    // Adding one clears a sign-in left behind under its name in the keychain (the e2e suite adds
    // one through the window with gnome-keyring); here it is written into config.toml.
    std::fs::create_dir_all(&f.paths.config_dir).unwrap();
    std::fs::write(
        f.paths.config_file(),
        "version = 1\n[sources.corp]\ntype = \"sso\"\nsso_start_url = \"https://corp.awsapps.com/start\"\nsso_region = \"eu-central-1\"\nsso_session = \"corp\"\n",
    )
    .unwrap();
    // Whatever the keychain says (or if there is none), the list shows the source, signed out.
    let list = call(&f.settings, "list_sources", json!({})).unwrap();
    assert_eq!(
        list[0]["sso"],
        json!({"region": "eu-central-1", "session": "corp", "shareWithAwsCli": false, "sessionMinutes": 480, "signedIn": false, "signedInUntil": null})
    );
    assert_eq!(
        call(&f.settings, "portal_roles", json!({"source": "corp"})).unwrap(),
        Value::Null,
        "nothing listed yet"
    );

    let picks = json!([
        {"accountId": "111122223333", "accountName": "Prod Ops", "roleName": "Admin"},
        {"accountId": "444455556666", "accountName": "Prod Ops", "roleName": "Admin"},
    ]);
    let args = json!({"source": "corp", "picks": picks, "pattern": ""});
    let names = json!(["Prod-Ops-Admin", "Prod-Ops-Admin-2"]);
    assert_eq!(call(&f.settings, "preview_portal_names", args.clone()).unwrap(), names);
    assert!(!std::fs::read_to_string(f.paths.config_file()).unwrap().contains("Prod-Ops"), "a preview adds nothing");
    assert_eq!(call(&f.settings, "add_portal_favourites", args.clone()).unwrap(), names);
    let config = std::fs::read_to_string(f.paths.config_file()).unwrap();
    assert!(
        config.contains("[roles.Prod-Ops-Admin-2]\narn = \"arn:aws:iam::444455556666:role/Admin\"\nsource = \"corp\"\nprofile = \"Prod-Ops-Admin-2\""),
        "{config}"
    );
    let again = call(&f.settings, "add_portal_favourites", args).unwrap_err();
    assert_eq!(again["code"], "input.invalid");
    assert!(
        again["message"]
            .as_str()
            .unwrap()
            .ends_with("already is favourite Prod-Ops-Admin; pick the roles that are not"),
        "{again}"
    );
    let bad = call(&f.settings, "preview_portal_names", json!({"source": "corp", "picks": [], "pattern": "plain"}))
        .unwrap_err();
    assert!(bad["message"].as_str().unwrap().starts_with("name pattern: has none of"), "{bad}");
}
