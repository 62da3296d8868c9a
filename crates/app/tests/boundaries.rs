//! Which crate may depend on which: the layering of ARCHITECTURE.md, read from every member's
//! `Cargo.toml`. The front ends reach the adapters only through `rolecall-app`; each wire format
//! (the AWS SDK, keyring, HTTP, Tauri) belongs to one crate; `rolecall-core` depends on nothing
//! that does IO, and gets chrono without its clock.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The workspace root (two levels above this crate).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read_toml(path: &Path) -> toml::Table {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.parse().unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One member: its package name, and its dependencies by kind (`dependencies`, `dev-dependencies`,
/// `build-dependencies`; target-specific ones counted with their kind) with their tables.
struct Member {
    name: String,
    deps: BTreeMap<&'static str, BTreeMap<String, toml::Value>>,
}

fn members() -> Vec<Member> {
    let workspace = read_toml(&root().join("Cargo.toml"));
    let list = workspace["workspace"]["members"].as_array().expect("workspace.members");
    list.iter()
        .map(|m| {
            let manifest = read_toml(&root().join(m.as_str().unwrap()).join("Cargo.toml"));
            let name = manifest["package"]["name"].as_str().unwrap().to_owned();
            let mut deps: BTreeMap<&'static str, BTreeMap<String, toml::Value>> = BTreeMap::new();
            let mut tables = vec![manifest.clone()];
            if let Some(targets) = manifest.get("target").and_then(|t| t.as_table()) {
                tables.extend(targets.values().filter_map(|t| t.as_table().cloned()));
            }
            for table in tables {
                for kind in ["dependencies", "dev-dependencies", "build-dependencies"] {
                    if let Some(d) = table.get(kind).and_then(|d| d.as_table()) {
                        deps.entry(kind).or_default().extend(d.iter().map(|(k, v)| (k.clone(), v.clone())));
                    }
                }
            }
            Member { name, deps }
        })
        .collect()
}

fn names(m: &Member, kind: &str) -> BTreeSet<String> {
    m.deps.get(kind).map(|d| d.keys().cloned().collect()).unwrap_or_default()
}

/// Every dependency of any kind.
fn all_names(m: &Member) -> BTreeSet<String> {
    m.deps.values().flat_map(|d| d.keys().cloned()).collect()
}

#[test]
fn each_crate_depends_only_on_the_layers_below_it() {
    let allowed: BTreeMap<&str, &[&str]> = BTreeMap::from([
        ("rolecall-core", &[][..]),
        ("rolecall-sts", &["rolecall-core"][..]),
        ("rolecall-keychain", &["rolecall-core"][..]),
        ("rolecall-files", &["rolecall-core"][..]),
        ("rolecall-signin", &["rolecall-core"][..]),
        (
            "rolecall-app",
            &["rolecall-core", "rolecall-sts", "rolecall-keychain", "rolecall-files", "rolecall-signin"][..],
        ),
        // The front ends: the use cases, and the domain's types; never an adapter, not even in
        // their tests.
        ("rolecall-cli", &["rolecall-core", "rolecall-app"][..]),
        ("rolecall-tray", &["rolecall-core", "rolecall-app"][..]),
        // The end-to-end suite runs the binaries; it reads the domain's types only.
        ("rolecall-e2e", &["rolecall-core"][..]),
    ]);
    let members = members();
    let mut wrong = Vec::new();
    for m in &members {
        let Some(ok) = allowed.get(m.name.as_str()) else {
            wrong.push(format!("{}: a member this test does not know; add its row", m.name));
            continue;
        };
        for dep in all_names(m).into_iter().filter(|d| d.starts_with("rolecall-")) {
            if !ok.contains(&dep.as_str()) {
                wrong.push(format!("{} depends on {dep}", m.name));
            }
        }
    }
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
    assert_eq!(members.len(), allowed.len(), "every row names a member");
}

#[test]
fn each_wire_format_belongs_to_one_crate() {
    // (dependency prefix, the crates that may use it)
    let owners: &[(&str, &[&str])] = &[
        ("aws-", &["rolecall-sts"]),
        ("keyring", &["rolecall-keychain"]),
        ("reqwest", &["rolecall-signin"]),
        ("tauri", &["rolecall-tray"]),
        ("notify", &["rolecall-tray"]),
        ("ts-rs", &["rolecall-tray"]),
        ("clap", &["rolecall-cli"]),
        ("rpassword", &["rolecall-cli"]),
        // The Secret Service's Locked property, and the tray's notification and logind signals.
        ("dbus", &["rolecall-keychain", "rolecall-tray"]),
    ];
    let mut wrong = Vec::new();
    for m in members() {
        for dep in all_names(&m) {
            for (prefix, who) in owners {
                if dep.starts_with(prefix) && !who.contains(&m.name.as_str()) {
                    wrong.push(format!("{} uses {dep}, which only {who:?} may", m.name));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_core_depends_on_nothing_that_does_io_and_reads_no_clock() {
    let core = members().into_iter().find(|m| m.name == "rolecall-core").expect("rolecall-core");
    let allowed: BTreeSet<String> =
        ["thiserror", "serde", "toml", "secrecy", "chrono"].iter().map(|s| (*s).to_owned()).collect();
    let deps = names(&core, "dependencies");
    let extra: Vec<_> = deps.difference(&allowed).collect();
    assert!(extra.is_empty(), "crates/core depends on {extra:?}: the domain is pure (ARCHITECTURE.md)");
    assert!(names(&core, "build-dependencies").is_empty(), "crates/core has no build script dependencies");

    // chrono without `clock`, in the workspace's entry and in the core's own.
    let workspace = read_toml(&root().join("Cargo.toml"));
    let features = |v: &toml::Value| -> Vec<String> {
        v.get("features")
            .and_then(|f| f.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    let chrono = &workspace["workspace"]["dependencies"]["chrono"];
    assert_eq!(chrono.get("default-features").and_then(|d| d.as_bool()), Some(false), "chrono's defaults have clock");
    assert!(!features(chrono).iter().any(|f| f == "clock" || f == "now"), "the workspace's chrono has its clock");
    let own = &core.deps["dependencies"]["chrono"];
    assert!(!features(own).iter().any(|f| f == "clock" || f == "now"), "crates/core asks for chrono's clock");

    // And its clippy.toml refuses the clock, the environment and the filesystem.
    let clippy = std::fs::read_to_string(root().join("crates/core/clippy.toml")).expect("crates/core/clippy.toml");
    for path in ["chrono::Utc::now", "std::time::SystemTime::now", "std::env::var", "std::fs::read", "std::fs::File"] {
        assert!(clippy.contains(&format!("path = \"{path}\"")), "crates/core/clippy.toml does not refuse {path}");
    }
}
