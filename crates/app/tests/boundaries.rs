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
        // Its tests (a dev-dependency) use the e2e harness's private Secret Service.
        ("rolecall-keychain", &["rolecall-core", "rolecall-e2e"][..]),
        ("rolecall-files", &["rolecall-core"][..]),
        ("rolecall-signin", &["rolecall-core"][..]),
        ("rolecall-sso", &["rolecall-core"][..]),
        (
            "rolecall-app",
            &[
                "rolecall-core",
                "rolecall-sts",
                "rolecall-keychain",
                "rolecall-files",
                "rolecall-signin",
                "rolecall-sso",
            ][..],
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
        // The AWS SDK: STS, and IAM Identity Center's sign-in service and portal; and the
        // end-to-end suite's reader (`tests/sdk-rust`), an SDK client of what rolecall serves
        // that shares no code with it.
        ("aws-", &["rolecall-sts", "rolecall-sso", "rolecall-e2e"]),
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
fn the_end_to_end_suites_sdk_reader_takes_the_workspaces_sdk_as_it_is() {
    // Other features would build the SDK (and tokio, hyper, rustls under it) a second time, and
    // make the reader a different client from the one the workspace pins.
    let e2e = members().into_iter().find(|m| m.name == "rolecall-e2e").expect("rolecall-e2e");
    let mut wrong = Vec::new();
    for (kind, deps) in &e2e.deps {
        for (name, spec) in deps.iter().filter(|(n, _)| n.starts_with("aws-") || n.as_str() == "tokio") {
            let only_workspace = spec.as_table().is_some_and(|t| {
                t.get("workspace").and_then(|w| w.as_bool()) == Some(true) && t.keys().all(|k| k == "workspace")
            });
            if !only_workspace {
                wrong.push(format!("rolecall-e2e's {kind} {name} = {spec}: take `{name}.workspace = true` alone"));
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

/// The modules of a crate's `src` (a file or a folder each) and the other modules of the same
/// crate each one's non-test code names (`use crate::x`, `crate::x::`).
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    fn files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut all = Vec::new();
    files(src, &mut all);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in all {
        let rel = file.strip_prefix(src).unwrap();
        let first = rel.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
        let module = first.trim_end_matches(".rs").to_owned();
        if module == "lib" || module == "main" || module == "tests" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        // Unit tests may reach anywhere: only the code before the first test module counts.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let edges = graph.entry(module.clone()).or_default();
        for (i, _) in code.match_indices("crate::") {
            let name: String =
                code[i + "crate::".len()..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() && name != module {
                edges.insert(name);
            }
        }
    }
    graph
}

/// A cycle among `graph`'s modules, if there is one (as the path that closes it).
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_two_modules_of_a_crate_import_each_other_even_through_others() {
    for krate in ["crates/core/src", "crates/app/src", "crates/cli/src", "src-tauri/src"] {
        let graph = module_graph(&root().join(krate));
        assert!(graph.len() > 3, "{krate}: modules not found");
        if let Some(cycle) = find_cycle(&graph) {
            panic!("{krate}: an import cycle: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn a_cycle_is_found() {
    let graph: BTreeMap<String, BTreeSet<String>> = [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")]
        .iter()
        .map(|(from, to)| ((*from).to_owned(), BTreeSet::from([(*to).to_owned()])))
        .collect();
    let cycle = find_cycle(&graph).expect("a -> b -> c -> a");
    assert_eq!(cycle.first(), cycle.last());
    assert_eq!(cycle.len(), 4);
    let line: BTreeMap<String, BTreeSet<String>> =
        [("a", "b"), ("b", "c")].iter().map(|(f, t)| ((*f).to_owned(), BTreeSet::from([(*t).to_owned()]))).collect();
    assert_eq!(find_cycle(&line), None);
}
