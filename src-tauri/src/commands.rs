//! The commands the windows call. Each is a thin adapter: DTO in, one use case, DTO or
//! `{code, message}` out. None returns secret material.

use chrono::Utc;
use rolecall_app::{ImportChoice, NewSource, SsoSourceSettings, SsoStatus};
use rolecall_core::config::Config;
use rolecall_core::portal_names::{NamePattern, PortalPick};
use rolecall_core::secret::SourceKeys;
use rolecall_core::sso::StartUrl;
use rolecall_core::time::SessionState;
use rolecall_core::validate::{MfaCode, MfaSerial, Name, ProfileName, Region, ValidationError};
use rolecall_core::{Code, Error, ErrorDto};
use tauri::State;
use tauri::ipc::Channel;
use tokio::sync::oneshot;

use crate::dto::{
    self, AppInfo, DiscoveryProgressView, FavouriteInput, FavouriteView, Field, ImportCandidate, NewSourceInput,
    NewSsoSourceInput, PortalListing, PortalPickInput, PreferencesDto, SourceView, SsoSessionView, err,
};
use crate::mfa::MfaRequest;
use crate::state::{Action, AppState};

type Res<T> = Result<T, ErrorDto>;

/// The version shown in Settings → About.
#[tauri::command]
pub fn app_info() -> AppInfo {
    AppInfo { version: env!("CARGO_PKG_VERSION") }
}

/// Sources, key ids masked; an IAM Identity Center source with whether it is signed in (read
/// from the keychain: a keychain that cannot say shows it signed out).
#[tauri::command]
pub fn list_sources(state: State<'_, AppState>) -> Res<Vec<SourceView>> {
    let config = state.services.config().map_err(err)?;
    let now = Utc::now();
    Ok(config
        .sources
        .iter()
        .map(|(n, s)| {
            let view = SourceView::new(n, s);
            if view.sso.is_none() {
                return view;
            }
            let status = state.services.sso_status(n, now).unwrap_or_else(|e| {
                tracing::warn!(source = %n, code = %e.code(), error = %e, "the sign-in state is not known; shown signed out");
                SsoStatus::SignedOut
            });
            view.with_sso_status(&status)
        })
        .collect())
}

/// Adds a source; keys go to the keychain, never back to the UI.
#[tauri::command]
pub async fn add_source(state: State<'_, AppState>, input: NewSourceInput) -> Res<SourceView> {
    let name = Name::parse(input.name.trim()).map_err(err)?;
    let mfa_serial = input
        .mfa_serial
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(MfaSerial::parse)
        .transpose()
        .map_err(err)?;
    let new = match (&input.aws_profile, &input.access_key_id, &input.secret_access_key) {
        (Some(p), _, _) if !p.trim().is_empty() => NewSource::AwsProfile(ProfileName::parse(p.trim()).map_err(err)?),
        (_, Some(id), Some(secret)) => NewSource::Keys(SourceKeys::parse(id, secret).map_err(err)?),
        _ => return Err(err(ValidationError::new("source", "give an access key id and secret, or an AWS profile"))),
    };
    let source = state.services.add_source(&name, new, mfa_serial, input.verify, None).await.map_err(err)?;
    state.touch();
    Ok(SourceView::new(&name, &source))
}

/// Adds an IAM Identity Center source (signed out: its sign-in comes next).
#[tauri::command]
pub fn add_sso_source(state: State<'_, AppState>, input: NewSsoSourceInput) -> Res<SourceView> {
    let name = Name::parse(input.name.trim()).map_err(err)?;
    let session = input.sso_session.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let (start_url, region) = match &session {
        Some(session) => state.services.sso_session_settings(session).map_err(err)?,
        None => {
            (StartUrl::parse(input.start_url.trim()).map_err(err)?, Region::parse(input.region.trim()).map_err(err)?)
        }
    };
    let settings = SsoSourceSettings {
        start_url,
        region,
        sso_session: session,
        share_with_aws_cli: input.share_with_aws_cli,
        session_minutes: dto::parse_session_hours(&input.session_hours).map_err(err)?,
    };
    let source = state.services.add_sso_source(&name, settings).map_err(err)?;
    state.touch();
    Ok(SourceView::new(&name, &source).with_sso_status(&SsoStatus::SignedOut))
}

/// The `[sso-session]` blocks of `~/.aws/config` a new IAM Identity Center source may come from.
#[tauri::command]
pub fn sso_sessions(state: State<'_, AppState>) -> Res<Vec<SsoSessionView>> {
    Ok(state.services.sso_session_blocks().map_err(err)?.into_iter().map(SsoSessionView::from).collect())
}

/// Starts signing source `name` in to its access portal in the browser (the tray's sign-in; the
/// window hears of the outcome through `rolecall://changed`).
#[tauri::command]
pub fn sso_sign_in(state: State<'_, AppState>, name: String) -> Res<()> {
    let name = Name::parse(&name).map_err(err)?;
    state.act(Action::SignIn(name));
    Ok(())
}

/// Source `source`'s last listing of its portal's accounts and roles, from disk (no network);
/// null when there is none.
#[tauri::command]
pub fn portal_roles(state: State<'_, AppState>, source: String) -> Res<Option<PortalListing>> {
    let source = Name::parse(&source).map_err(err)?;
    let Some(cached) = state.services.sso_roles_cached(&source).map_err(err)? else { return Ok(None) };
    let favourites = state.services.portal_favourites(&source).map_err(err)?;
    Ok(Some(PortalListing::new(&cached, &favourites, Utc::now())))
}

/// Lists source `source`'s portal afresh (and keeps the listing for the next start), telling
/// `progress` how far it has come after each answer. The progress goes over a channel of this
/// call, not an app-wide event: only the window that asked hears it, in order.
#[tauri::command]
pub async fn discover_portal_roles(
    state: State<'_, AppState>,
    source: String,
    progress: Channel<DiscoveryProgressView>,
) -> Res<PortalListing> {
    let source = Name::parse(&source).map_err(err)?;
    let discovery = state
        .services
        .sso_discover(&source, |p| {
            // A window closed meanwhile: the listing goes on and is kept.
            let _ = progress.send(DiscoveryProgressView::from(p));
        })
        .await
        .map_err(err)?;
    let favourites = state.services.portal_favourites(&source).map_err(err)?;
    Ok(PortalListing::new(&discovery, &favourites, Utc::now()))
}

/// A picker's request, parsed: the source, the picked roles and the name pattern.
fn portal_request(
    source: &str,
    picks: Vec<PortalPickInput>,
    pattern: &str,
) -> Res<(Name, Vec<PortalPick>, NamePattern)> {
    let source = Name::parse(source).map_err(err)?;
    let pattern = NamePattern::parse(pattern).map_err(err)?;
    Ok((source, picks.into_iter().map(PortalPick::from).collect(), pattern))
}

/// The favourite names `picks` would get with `pattern` ("" = ACCOUNTNAME-ROLENAME) now.
#[tauri::command]
pub fn preview_portal_names(
    state: State<'_, AppState>,
    source: String,
    picks: Vec<PortalPickInput>,
    pattern: String,
) -> Res<Vec<String>> {
    let (source, picks, pattern) = portal_request(&source, picks, &pattern)?;
    let names = state.services.portal_favourite_names(&source, &picks, &pattern).map_err(err)?;
    Ok(names.iter().map(ToString::to_string).collect())
}

/// Makes each of `picks` a favourite of source `source`, named by `pattern`, all or none;
/// returns their names.
#[tauri::command]
pub fn add_portal_favourites(
    state: State<'_, AppState>,
    source: String,
    picks: Vec<PortalPickInput>,
    pattern: String,
) -> Res<Vec<String>> {
    let (source, picks, pattern) = portal_request(&source, picks, &pattern)?;
    let names = state.services.add_portal_favourites(&source, &picks, &pattern).map_err(err)?;
    state.touch();
    Ok(names.iter().map(ToString::to_string).collect())
}

/// Removes a source and its keychain entry.
#[tauri::command]
pub fn remove_source(state: State<'_, AppState>, name: String) -> Res<()> {
    let name = Name::parse(&name).map_err(err)?;
    let left = state.services.remove_source(&name).map_err(err)?;
    state.touch();
    match left {
        None => Ok(()),
        Some(left) => Err(ErrorDto { code: left.error().code(), message: left.message(&name) }),
    }
}

/// Favourites with their sessions.
#[tauri::command]
pub fn list_favourites(state: State<'_, AppState>) -> Res<Vec<FavouriteView>> {
    let (config, lines) = state.services.lines(Utc::now()).map_err(err)?;
    Ok(lines.iter().map(|l| view(&config, &l.name, &l.state)).collect())
}

/// Adds a favourite, or edits `replacing`.
#[tauri::command]
pub fn save_favourite(
    state: State<'_, AppState>,
    input: FavouriteInput,
    replacing: Option<String>,
) -> Res<FavouriteView> {
    let (name, fav) = input.parse().map_err(err)?;
    let replacing = replacing.as_deref().map(Name::parse).transpose().map_err(err)?;
    let config = state.services.save_favourite(&name, fav, replacing.as_ref()).map_err(err)?;
    state.touch();
    Ok(view(&config, &name, &SessionState::Never))
}

/// A favourite of `config`, with the notes on its clamped leads.
fn view(config: &Config, name: &Name, state: &SessionState) -> FavouriteView {
    let notes = rolecall_core::renew::lead_notes(config, name).unwrap_or_default();
    FavouriteView::new(name, &config.favourites[name], state, notes)
}

/// Removes a favourite and the profile rolecall wrote for it.
#[tauri::command]
pub fn remove_favourite(state: State<'_, AppState>, name: String) -> Res<()> {
    state.services.remove_favourite(&Name::parse(&name).map_err(err)?).map_err(err)?;
    state.touch();
    Ok(())
}

/// The core's message for a form field, or null.
#[tauri::command]
pub fn validate_field(field: Field, value: String) -> Option<String> {
    dto::validate_field(&field, &value)
}

/// Preferences.
#[tauri::command]
pub fn get_preferences(state: State<'_, AppState>) -> Res<PreferencesDto> {
    Ok((&state.services.config().map_err(err)?.preferences).into())
}

/// Saves preferences (and applies start-at-login).
#[tauri::command]
pub fn set_preferences(state: State<'_, AppState>, prefs: PreferencesDto) -> Res<()> {
    let p: rolecall_core::config::Preferences = prefs.into();
    state.services.set_preferences(p.clone()).map_err(err)?;
    state.act(Action::SetStartAtLogin(p.start_at_login));
    state.touch();
    Ok(())
}

/// Assumes a favourite (the MFA window opens if a code is needed); returns it with its new session.
#[tauri::command]
pub async fn assume(state: State<'_, AppState>, name: String) -> Res<FavouriteView> {
    let name = Name::parse(&name).map_err(err)?;
    let (tx, rx) = oneshot::channel();
    state.act(Action::Assume(name.clone(), Some(tx)));
    rx.await.map_err(|_| ErrorDto { code: Code::AppQuitting, message: "rolecall is quitting".into() })??;
    let (config, lines) = state.services.lines(Utc::now()).map_err(err)?;
    let line = lines.iter().find(|l| l.name == name).ok_or_else(|| {
        err(Error::NeedsInput { subject: format!("favourite {name}"), what: "was removed meanwhile".into() })
    })?;
    Ok(view(&config, &name, &line.state))
}

/// The MFA request waiting for a code, if any.
#[tauri::command]
pub fn mfa_pending(state: State<'_, AppState>) -> Option<MfaRequest> {
    state.mfa.current()
}

/// Hands a code to the waiting click; resolves once STS accepted it, rejects if it refused it.
#[tauri::command]
pub async fn submit_mfa(state: State<'_, AppState>, request_id: String, code: String) -> Res<()> {
    let code = MfaCode::parse(&code).map_err(err)?;
    let verdict = state.mfa.submit(&request_id, code)?;
    verdict.await.map_err(|_| ErrorDto { code: Code::MfaStale, message: "the request ended".into() })?
}

/// Cancels the waiting MFA request.
#[tauri::command]
pub fn cancel_mfa(state: State<'_, AppState>, request_id: String) {
    state.mfa.cancel(Some(&request_id));
}

/// Role profiles of `~/.aws/config` that could become favourites.
#[tauri::command]
pub fn import_candidates(state: State<'_, AppState>) -> Res<Vec<ImportCandidate>> {
    Ok(state.services.import_candidates().map_err(err)?.into_iter().map(ImportCandidate::from).collect())
}

/// Imports the chosen AWS profiles as favourites; returns their names.
#[tauri::command]
pub fn import_profiles(state: State<'_, AppState>, profiles: Vec<String>) -> Res<Vec<String>> {
    let report = state.services.import(&ImportChoice::Profiles(profiles)).map_err(err)?;
    state.touch();
    Ok(report.favourites.iter().map(|f| f.name.to_string()).collect())
}

/// The favourites that still write their sessions into the credentials file.
#[tauri::command]
pub fn file_favourites(state: State<'_, AppState>) -> Res<Vec<String>> {
    Ok(state.services.file_favourites().map_err(err)?.iter().map(ToString::to_string).collect())
}

/// Serves every favourite still written to the credentials file through credential_process
/// (but the default profile's), removing its secrets from the file.
#[tauri::command]
pub fn convert_favourites(state: State<'_, AppState>) -> Res<crate::dto::ConversionView> {
    let done = state.services.convert_to_process(&[]).map_err(err)?;
    state.touch();
    Ok(done.into())
}
