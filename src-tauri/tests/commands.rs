//! The commands through Tauri's mock runtime with the app's real context: IPC shapes, `{code,
//! message}` errors, the capability set (only the app's own windows may call) and the shipped
//! security config. Files are real (a temp HOME).

use rolecall_app::Services;
use rolecall_files::Paths;
use rolecall_keychain::OsKeychain;
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
    other: WebviewWindow<MockRuntime>,
}

fn fixture() -> Fixture {
    let home = tempfile::tempdir().unwrap();
    let paths = Paths {
        config_dir: home.path().join("config"),
        credentials_file: home.path().join(".aws/credentials"),
        aws_config_file: home.path().join(".aws/config"),
    };
    let services = Services::new(paths.clone(), OsKeychain::new("rolecall-test".into()), None);
    let app = rolecall_tray::build_app(mock_builder(), services, false).build(tauri::generate_context!()).unwrap();
    let settings = WebviewWindowBuilder::new(&app, "settings", Default::default()).build().unwrap();
    let other = WebviewWindowBuilder::new(&app, "intruder", Default::default()).build().unwrap();
    Fixture { _home: home, paths, _app: app, settings, other }
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
    let e = call(&f.settings, "submit_mfa", json!({"requestId": "mfa-1", "code": "12"})).unwrap_err();
    assert_eq!(e["code"], "input.invalid");
    let e = call(&f.settings, "submit_mfa", json!({"requestId": "mfa-1", "code": "123456"})).unwrap_err();
    assert_eq!(e["code"], "mfa.stale");
}

#[test]
fn sources_and_preferences() {
    let f = fixture();
    // Keys sources go to the real keychain (covered end to end); an AWS-profile source needs none.
    let v = call(&f.settings, "add_source", json!({"input": {"name": "corp", "accessKeyId": null, "secretAccessKey": null, "awsProfile": "corp-sso", "mfaSerial": "arn:aws:iam::123456789012:mfa/alice", "verify": false}})).unwrap();
    assert_eq!(
        v,
        json!({"name": "corp", "kind": "aws_profile", "keyHint": null, "awsProfile": "corp-sso", "mfaSerial": "arn:aws:iam::123456789012:mfa/alice", "identity": null})
    );
    let prefs = call(&f.settings, "get_preferences", json!({})).unwrap();
    assert_eq!(
        prefs,
        json!({"notifyBeforeMinutes": 10, "autoRenew": false, "renewBeforeMinutes": 5, "startAtLogin": false})
    );
    let e = call(
        &f.settings,
        "set_preferences",
        json!({"prefs": {"notifyBeforeMinutes": 0, "autoRenew": true, "renewBeforeMinutes": 5, "startAtLogin": false}}),
    )
    .unwrap_err();
    assert_eq!(e["code"], "input.invalid");
    call(&f.settings, "set_preferences", json!({"prefs": {"notifyBeforeMinutes": 15, "autoRenew": true, "renewBeforeMinutes": 5, "startAtLogin": false}})).unwrap();
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
    let caps: Value = serde_json::from_str(include_str!("../capabilities/windows.json")).unwrap();
    let perms: Vec<&str> = caps["permissions"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    for p in &perms {
        assert!(p.starts_with("allow-") || p.starts_with("core:event:allow-"), "unexpected permission {p}");
    }
    assert_eq!(caps["windows"], json!(["settings", "mfa"]));
}
