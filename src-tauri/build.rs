//! Generates the app's permissions: one `allow-<command>` per command, granted in capabilities/.

/// Every command the windows may call (must match `generate_handler!` in src/lib.rs).
const COMMANDS: &[&str] = &[
    "app_info",
    "list_sources",
    "add_source",
    "remove_source",
    "list_favourites",
    "save_favourite",
    "remove_favourite",
    "validate_field",
    "get_preferences",
    "set_preferences",
    "file_favourites",
    "convert_favourites",
    "assume",
    "mfa_pending",
    "submit_mfa",
    "cancel_mfa",
    "signin_pending",
    "signin_open_browser",
    "signin_copy_code",
    "signin_cancel",
    "import_candidates",
    "import_profiles",
    "add_sso_source",
    "sso_sessions",
    "sso_sign_in",
    "portal_roles",
    "discover_portal_roles",
    "preview_portal_names",
    "add_portal_favourites",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step");
}
