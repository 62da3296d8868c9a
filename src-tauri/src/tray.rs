//! The tray icon and its menu, built from the core's view and rebuilt when something changes.

use rolecall_core::ErrorDto;
use rolecall_core::validate::Name;
use rolecall_core::view::{FavouriteLine, TrayState};
use tauri::image::Image;
use tauri::menu::{IsMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::TrayIcon;
use tauri::{AppHandle, Runtime};

use crate::signin_state::Waiting;

/// The tray icon's id.
pub const TRAY_ID: &str = "rolecall";

/// Every menu item rolecall creates. Ids are `kind:name` (a favourite's, or a source's for the
/// sign-in items); names never hold `:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MenuId {
    /// Assume a favourite (its line in the menu).
    Assume(Name),
    /// Assume or renew, from the favourite's submenu.
    Renew(Name),
    /// Open the AWS console as the favourite (federated sign-in, in the default browser).
    Console(Name),
    /// Copy `export` lines.
    CopyEnv(Name),
    /// Also write the session as the `default` profile.
    MakeDefault(Name),
    /// Sign in to an IAM Identity Center source in the browser ("Sign in to corp…").
    SignIn(Name),
    /// Sign in to a source with a device code instead ("Sign in with a code instead…").
    SignInWithCode(Name),
    /// Open the settings window.
    Settings,
    /// Quit.
    Quit,
    /// An informational line (the last error, "no favourites").
    Info,
}

impl MenuId {
    /// The id string.
    pub fn to_id(&self) -> String {
        match self {
            MenuId::Assume(n) => format!("assume:{n}"),
            MenuId::Renew(n) => format!("renew:{n}"),
            MenuId::Console(n) => format!("console:{n}"),
            MenuId::CopyEnv(n) => format!("copy-env:{n}"),
            MenuId::MakeDefault(n) => format!("make-default:{n}"),
            MenuId::SignIn(n) => format!("sign-in:{n}"),
            MenuId::SignInWithCode(n) => format!("sign-in-code:{n}"),
            MenuId::Settings => "settings".into(),
            MenuId::Quit => "quit".into(),
            MenuId::Info => "info".into(),
        }
    }

    /// Parses an id string.
    pub fn parse(id: &str) -> Option<MenuId> {
        let named = |f: fn(Name) -> MenuId, n: &str| Name::parse(n).ok().map(f);
        match id.split_once(':') {
            Some(("assume", n)) => named(MenuId::Assume, n),
            Some(("renew", n)) => named(MenuId::Renew, n),
            Some(("console", n)) => named(MenuId::Console, n),
            Some(("copy-env", n)) => named(MenuId::CopyEnv, n),
            Some(("make-default", n)) => named(MenuId::MakeDefault, n),
            Some(("sign-in", n)) => named(MenuId::SignIn, n),
            Some(("sign-in-code", n)) => named(MenuId::SignInWithCode, n),
            _ => match id {
                "settings" => Some(MenuId::Settings),
                "quit" => Some(MenuId::Quit),
                "info" => Some(MenuId::Info),
                _ => None,
            },
        }
    }
}

/// The icon for a state (coloured; macOS gets the template variant).
pub fn icon(state: TrayState) -> Image<'static> {
    let bytes: &'static [u8] = match (state, cfg!(target_os = "macos")) {
        (TrayState::Idle, false) => include_bytes!("../icons/tray/idle.png"),
        (TrayState::Busy, false) => include_bytes!("../icons/tray/busy.png"),
        (TrayState::Fresh, false) => include_bytes!("../icons/tray/fresh.png"),
        (TrayState::ExpiringSoon, false) => include_bytes!("../icons/tray/expiring.png"),
        (TrayState::Error, false) => include_bytes!("../icons/tray/error.png"),
        (TrayState::Idle, true) => include_bytes!("../icons/tray/idle-template.png"),
        (TrayState::Busy, true) => include_bytes!("../icons/tray/busy-template.png"),
        (TrayState::Fresh, true) => include_bytes!("../icons/tray/fresh-template.png"),
        (TrayState::ExpiringSoon, true) => include_bytes!("../icons/tray/expiring-template.png"),
        (TrayState::Error, true) => include_bytes!("../icons/tray/error-template.png"),
    };
    Image::from_bytes(bytes).expect("bundled tray icons are valid PNGs")
}

/// The tooltip: the state and the favourite that expires first.
pub fn tooltip(state: TrayState, lines: &[FavouriteLine], error: Option<&ErrorDto>) -> String {
    let mut t = format!("rolecall: {}", state.describe());
    if let Some(e) = error {
        t.push_str(&format!("\n{}", e.message));
    }
    let soonest = lines
        .iter()
        .filter_map(|l| match l.state {
            rolecall_core::time::SessionState::Active { seconds_left, .. } => Some((seconds_left, &l.label)),
            _ => None,
        })
        .min_by_key(|(s, _)| *s);
    if let Some((_, label)) = soonest {
        t.push_str(&format!("\n{label}"));
    }
    t
}

fn item<R: Runtime>(app: &AppHandle<R>, id: MenuId, label: &str, enabled: bool) -> tauri::Result<MenuItem<R>> {
    MenuItem::with_id(app, id.to_id(), label, enabled, None::<&str>)
}

/// The longest failure message the menu shows in full (in characters).
const WARNING_MAX_CHARS: usize = 90;

/// The menu line for a failure: `⚠ message`, cut with `…` when longer than the menu shows.
pub fn warning_label(message: &str) -> String {
    if message.chars().count() <= WARNING_MAX_CHARS {
        return format!("⚠ {message}");
    }
    let short: String = message.chars().take(WARNING_MAX_CHARS - 1).collect();
    format!("⚠ {}…", short.trim_end())
}

/// An IAM Identity Center source's line at the top of the menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInLine {
    /// Signed out: "Sign in to corp…".
    SignedOut(Name),
    /// A sign-in under way, and what it waits for.
    Underway(Name, Waiting),
}

/// The menu items of a source's sign-in line: (id, label, enabled).
pub fn sign_in_items(line: &SignInLine) -> Vec<(MenuId, String, bool)> {
    match line {
        SignInLine::SignedOut(s) => vec![(MenuId::SignIn(s.clone()), format!("Sign in to {s}…"), true)],
        SignInLine::Underway(s, Waiting::Browser) => vec![
            (MenuId::Info, format!("Signing in to {s}… (browser)"), false),
            (MenuId::SignInWithCode(s.clone()), "Sign in with a code instead…".to_owned(), true),
        ],
        SignInLine::Underway(s, Waiting::Code) => {
            vec![(MenuId::SignInWithCode(s.clone()), format!("Signing in to {s}… (code shown)"), true)]
        }
        SignInLine::Underway(s, Waiting::Starting) => vec![(MenuId::Info, format!("Signing in to {s}…"), false)],
    }
}

/// The label of a favourite whose IAM Identity Center source is signed out: `prod · signed out`
/// (after the time left, if its last session still runs).
pub fn signed_out_label(label: &str) -> String {
    format!("{label} · signed out")
}

/// The whole menu.
pub fn menu<R: Runtime>(
    app: &AppHandle<R>,
    lines: &[FavouriteLine],
    error: Option<&ErrorDto>,
) -> tauri::Result<Menu<R>> {
    Ok(menu_with_lines(app, lines, &[], error)?.0)
}

/// The whole menu, and the items of the favourites' lines (to relabel them in place).
fn menu_with_lines<R: Runtime>(
    app: &AppHandle<R>,
    lines: &[FavouriteLine],
    sign_ins: &[SignInLine],
    error: Option<&ErrorDto>,
) -> tauri::Result<(Menu<R>, Vec<MenuItem<R>>)> {
    let mut items: Vec<Box<dyn IsMenuItem<R>>> = Vec::new();
    if let Some(e) = error {
        items.push(Box::new(item(app, MenuId::Info, &warning_label(&e.message), false)?));
        items.push(Box::new(PredefinedMenuItem::separator(app)?));
    }
    for line in sign_ins {
        for (id, label, enabled) in sign_in_items(line) {
            items.push(Box::new(item(app, id, &label, enabled)?));
        }
    }
    if !sign_ins.is_empty() {
        items.push(Box::new(PredefinedMenuItem::separator(app)?));
    }
    if lines.is_empty() {
        items.push(Box::new(item(app, MenuId::Info, "No favourites yet: add one in Settings", false)?));
    }
    let mut line_items = Vec::new();
    for l in lines {
        let line = item(app, MenuId::Assume(l.name.clone()), &l.label, true)?;
        line_items.push(line.clone());
        items.push(Box::new(line));
    }
    if !lines.is_empty() {
        let mut per_favourite: Vec<Submenu<R>> = Vec::new();
        for l in lines {
            let n = &l.name;
            let renew_label =
                if matches!(l.state, rolecall_core::time::SessionState::Active { .. }) { "Renew" } else { "Assume" };
            let sub = Submenu::with_items(
                app,
                n.as_str(),
                true,
                &[
                    &item(app, MenuId::Renew(n.clone()), renew_label, true)?,
                    &item(app, MenuId::Console(n.clone()), "Open console", true)?,
                    &item(app, MenuId::CopyEnv(n.clone()), "Copy export lines", true)?,
                    &item(app, MenuId::MakeDefault(n.clone()), "Make this the default profile", true)?,
                ],
            )?;
            per_favourite.push(sub);
        }
        let refs: Vec<&dyn IsMenuItem<R>> = per_favourite.iter().map(|s| s as &dyn IsMenuItem<R>).collect();
        items.push(Box::new(PredefinedMenuItem::separator(app)?));
        items.push(Box::new(Submenu::with_items(app, "Actions", true, &refs)?));
    }
    items.push(Box::new(PredefinedMenuItem::separator(app)?));
    items.push(Box::new(item(app, MenuId::Settings, "Settings…", true)?));
    items.push(Box::new(item(app, MenuId::Quit, "Quit rolecall", true)?));
    let refs: Vec<&dyn IsMenuItem<R>> = items.iter().map(|i| i.as_ref()).collect();
    Ok((Menu::with_items(app, &refs)?, line_items))
}

/// What the menu's structure depends on: the favourites, whether each has an active session
/// (its submenu says Renew or Assume), the sign-in lines and the failure shown. While it stays the same, a new
/// label is set on the existing item instead of rebuilding the menu (cheaper for the tray host,
/// and a click in an open menu never lands on a replaced item).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Shape {
    favourites: Vec<(Name, bool)>,
    sign_ins: Vec<SignInLine>,
    error: Option<ErrorDto>,
}

impl Shape {
    fn of(lines: &[FavouriteLine], sign_ins: &[SignInLine], error: Option<&ErrorDto>) -> Shape {
        Shape {
            sign_ins: sign_ins.to_vec(),
            favourites: lines
                .iter()
                .map(|l| (l.name.clone(), matches!(l.state, rolecall_core::time::SessionState::Active { .. })))
                .collect(),
            error: error.cloned(),
        }
    }
}

/// What the tray shows now.
pub struct Shown<R: Runtime> {
    shape: Shape,
    labels: Vec<String>,
    line_items: Vec<MenuItem<R>>,
    state: TrayState,
    tooltip: String,
}

/// How an update reached the tray (for logs and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    /// Nothing changed.
    Unchanged,
    /// Labels, the icon or the tooltip changed in place.
    InPlace,
    /// The menu was built anew.
    Rebuilt,
}

/// Brings the tray icon, tooltip and menu to `state`, `lines`, `sign_ins` and `error`, changing
/// only what differs from `shown`.
pub fn apply<R: Runtime>(
    tray: &TrayIcon<R>,
    app: &AppHandle<R>,
    shown: &mut Option<Shown<R>>,
    state: TrayState,
    lines: &[FavouriteLine],
    sign_ins: &[SignInLine],
    error: Option<&ErrorDto>,
) -> tauri::Result<Update> {
    let shape = Shape::of(lines, sign_ins, error);
    let labels: Vec<String> = lines.iter().map(|l| l.label.clone()).collect();
    let tooltip = tooltip(state, lines, error);
    let mut update = Update::Unchanged;
    match shown.as_mut().filter(|s| s.shape == shape) {
        Some(s) => {
            for ((item, old), new) in s.line_items.iter().zip(&mut s.labels).zip(&labels) {
                if old != new {
                    item.set_text(new)?;
                    old.clone_from(new);
                    update = Update::InPlace;
                }
            }
        }
        None => {
            let (menu, line_items) = menu_with_lines(app, lines, sign_ins, error)?;
            tray.set_menu(Some(menu))?;
            *shown = Some(Shown { shape, labels, line_items, state, tooltip: String::new() });
            update = Update::Rebuilt;
        }
    }
    let s = shown.as_mut().expect("set above");
    if s.state != state || update == Update::Rebuilt {
        tray.set_icon(Some(icon(state)))?;
        #[cfg(target_os = "macos")]
        tray.set_icon_as_template(true)?;
        s.state = state;
        if update == Update::Unchanged {
            update = Update::InPlace;
        }
    }
    if s.tooltip != tooltip {
        tray.set_tooltip(Some(&tooltip))?;
        s.tooltip = tooltip;
        if update == Update::Unchanged {
            update = Update::InPlace;
        }
    }
    Ok(update)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn menu_ids_round_trip() {
        let n = Name::parse("prod-admin").unwrap();
        for id in [
            MenuId::Assume(n.clone()),
            MenuId::Renew(n.clone()),
            MenuId::Console(n.clone()),
            MenuId::CopyEnv(n.clone()),
            MenuId::MakeDefault(n.clone()),
            MenuId::SignIn(n.clone()),
            MenuId::SignInWithCode(n),
            MenuId::Settings,
            MenuId::Quit,
            MenuId::Info,
        ] {
            assert_eq!(MenuId::parse(&id.to_id()), Some(id));
        }
        assert_eq!(MenuId::parse("assume:bad name"), None);
        assert_eq!(MenuId::parse("other"), None);
    }

    #[test]
    fn a_long_failure_is_cut_with_an_ellipsis() {
        assert_eq!(warning_label("favourite x: access denied"), "⚠ favourite x: access denied");
        let exact = "x".repeat(WARNING_MAX_CHARS);
        assert_eq!(warning_label(&exact), format!("⚠ {exact}"));
        // 89 characters kept: "favourite x: " (13) and fifteen "word " and a "w".
        let long = format!("favourite x: {}", "word ".repeat(40));
        assert_eq!(warning_label(&long), format!("⚠ favourite x: {}w…", "word ".repeat(15)));
        // A cut after a space does not leave it before the ellipsis.
        let spaced = format!("{} tail that is cut", "y".repeat(88));
        assert_eq!(warning_label(&spaced), format!("⚠ {}…", "y".repeat(88)));
    }

    #[test]
    fn sign_in_lines_say_what_a_sign_in_waits_for() {
        let corp = Name::parse("corp").unwrap();
        let labels = |line: SignInLine| -> Vec<(String, String, bool)> {
            sign_in_items(&line).into_iter().map(|(id, label, on)| (id.to_id(), label, on)).collect()
        };
        let own = |a: &str, b: &str, on: bool| (a.to_owned(), b.to_owned(), on);
        assert_eq!(labels(SignInLine::SignedOut(corp.clone())), [own("sign-in:corp", "Sign in to corp…", true)]);
        assert_eq!(
            labels(SignInLine::Underway(corp.clone(), Waiting::Browser)),
            [
                own("info", "Signing in to corp… (browser)", false),
                own("sign-in-code:corp", "Sign in with a code instead…", true)
            ]
        );
        assert_eq!(
            labels(SignInLine::Underway(corp.clone(), Waiting::Code)),
            [own("sign-in-code:corp", "Signing in to corp… (code shown)", true)]
        );
        assert_eq!(labels(SignInLine::Underway(corp, Waiting::Starting)), [own("info", "Signing in to corp…", false)]);
        assert_eq!(signed_out_label("prod"), "prod · signed out");
        assert_eq!(signed_out_label("prod · 42m left"), "prod · 42m left · signed out");
    }

    #[test]
    fn every_state_has_an_icon() {
        for s in [TrayState::Idle, TrayState::Busy, TrayState::Fresh, TrayState::ExpiringSoon, TrayState::Error] {
            let i = icon(s);
            assert_eq!((i.width(), i.height()), (64, 64));
        }
    }
}
