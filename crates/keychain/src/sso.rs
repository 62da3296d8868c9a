//! IAM Identity Center secrets in the keychain: account `sso:NAME` holds a source's client
//! registration (client id, secret, expiry, redirect URI), `sso-token:NAME` its token (access
//! token, expiry, refresh token, when the user signed in). Each is a versioned JSON written as
//! [`parts`](crate::parts): one item while it fits in [`MAX_ITEM_BYTES`](crate::parts::MAX_ITEM_BYTES),
//! else `ACCOUNT`, `ACCOUNT#2`, `ACCOUNT#3`, … .
//!
//! The items of one account are always numbered from 1 without a gap: writes go up from part 1,
//! removals come down from the highest, so a write or removal cut short leaves a run from 1 that
//! either joins into what one write wrote or into nothing. Storing writes every part, then removes
//! the ones above the new count (an earlier, longer value's).
//!
//! These functions run on the [`Guard`](crate::Guard)'s thread: one guard call per operation,
//! however many items it touches.

use chrono::{DateTime, Utc};
use keyring::Error as KError;
use rolecall_core::keychain::{KeychainError, KeychainErrorKind};
use rolecall_core::sso::{ClientRegistration, SsoSecrets, Token};
use rolecall_core::validate::Name;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::parts::{self, MAX_PARTS};
use crate::{entry_for, map_err};

/// The version of both JSON values this build writes and reads.
const VERSION: u32 = 1;

/// The account of a source's client registration.
pub(crate) fn registration_account(source: &Name) -> String {
    format!("sso:{source}")
}

/// The account of a source's token.
pub(crate) fn token_account(source: &Name) -> String {
    format!("sso-token:{source}")
}

/// The account of part `k` (1-based) of a value kept under `account`.
fn part_account(account: &str, k: usize) -> String {
    if k == 1 { account.to_owned() } else { format!("{account}#{k}") }
}

#[derive(Serialize, Deserialize)]
struct StoredRegistration {
    v: u32,
    client_id: String,
    client_secret: String,
    expires_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    redirect_uri: Option<String>,
}

impl Drop for StoredRegistration {
    fn drop(&mut self) {
        self.client_secret.zeroize();
    }
}

/// The token and the sign-in time; `access_token` and `expires_at` are there together or not
/// at all (a sign-in time kept without a token).
#[derive(Serialize, Deserialize)]
struct StoredToken {
    v: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    access_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signed_in_at: Option<DateTime<Utc>>,
}

impl Drop for StoredToken {
    fn drop(&mut self) {
        self.access_token.zeroize();
        self.refresh_token.zeroize();
    }
}

/// The JSON of `value`, zeroized when dropped.
fn to_json(value: &impl Serialize) -> Zeroizing<String> {
    Zeroizing::new(serde_json::to_string(value).expect("plain strings and times serialize"))
}

/// The secret of `account`, `None` if there is no such item.
fn read(service: &str, account: &str) -> Result<Option<Zeroizing<Vec<u8>>>, KError> {
    match entry_for(service, account)?.get_secret() {
        Ok(bytes) => Ok(Some(Zeroizing::new(bytes))),
        Err(KError::NoEntry) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Removes `account`'s item; whether there was one.
fn remove(service: &str, account: &str) -> Result<bool, KError> {
    match entry_for(service, account)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(KError::NoEntry) => Ok(false),
        Err(e) => Err(e),
    }
}

/// How many parts the value kept under `account` says it has (0: no item, or none this build
/// reads).
fn kept_parts(service: &str, account: &str) -> Result<usize, KError> {
    Ok(read(service, account)?.and_then(|item| parts::header(&item)).map_or(0, |h| h.parts))
}

/// The value kept under `account`: `None` if there is none, or a part is missing, or the parts
/// disagree.
fn read_value(service: &str, account: &str) -> Result<Option<Zeroizing<String>>, KError> {
    let Some(first) = read(service, account)? else { return Ok(None) };
    let Some(header) = parts::header(&first) else { return Ok(None) };
    let mut items = vec![first];
    for k in 2..=header.parts {
        match read(service, &part_account(account, k))? {
            Some(item) => items.push(item),
            None => return Ok(None),
        }
    }
    Ok(parts::join(&items))
}

/// Removes the parts of `account` above part `keep`, the highest first; `known` is how many
/// parts there are thought to be (the run may reach higher after an interrupted write or
/// removal: it is followed up to its end). Whether any was removed.
fn remove_above(service: &str, account: &str, keep: usize, known: usize) -> Result<bool, KError> {
    let mut top = known.max(keep);
    while top < MAX_PARTS && read(service, &part_account(account, top + 1))?.is_some() {
        top += 1;
    }
    let mut removed = false;
    for k in (keep + 1..=top).rev() {
        removed |= remove(service, &part_account(account, k))?;
    }
    Ok(removed)
}

/// Writes `value` under `account` as parts, then removes the parts an earlier value left above
/// them.
fn write_value(service: &str, source: &Name, account: &str, value: &str) -> Result<usize, KeychainError> {
    let items = parts::split(value).map_err(|parts::TooLarge| KeychainError {
        kind: KeychainErrorKind::Other,
        source_name: source.to_string(),
        detail: Some(format!("an IAM Identity Center value too large for {MAX_PARTS} keychain items")),
    })?;
    let known = kept_parts(service, account).map_err(|e| map_err(source, e))?;
    for (i, item) in items.iter().enumerate() {
        entry_for(service, &part_account(account, i + 1))
            .and_then(|entry| entry.set_secret(item))
            .map_err(|e| map_err(source, e))?;
    }
    remove_above(service, account, items.len(), known).map_err(|e| map_err(source, e))?;
    Ok(items.len())
}

/// Removes every part of the value kept under `account`; whether there was any.
fn remove_value(service: &str, account: &str) -> Result<bool, KError> {
    let known = kept_parts(service, account)?;
    remove_above(service, account, 0, known)
}

/// The IAM Identity Center secrets of `source`, as [`SecretStore::load_sso`] describes.
///
/// [`SecretStore::load_sso`]: rolecall_core::keychain::SecretStore::load_sso
pub(crate) fn load(service: &str, source: &Name) -> Result<Option<SsoSecrets>, KeychainError> {
    let err = |e| map_err(source, e);
    let Some(json) = read_value(service, &registration_account(source)).map_err(err)? else { return Ok(None) };
    let Ok(stored) = serde_json::from_str::<StoredRegistration>(&json) else { return Ok(None) };
    if stored.v != VERSION {
        return Ok(None);
    }
    let registration = ClientRegistration {
        client_id: stored.client_id.clone(),
        client_secret: SecretString::from(stored.client_secret.clone()),
        expires_at: stored.expires_at,
        redirect_uri: stored.redirect_uri.clone(),
    };
    let stored = read_value(service, &token_account(source))
        .map_err(err)?
        .and_then(|json| serde_json::from_str::<StoredToken>(&json).ok())
        .filter(|t| t.v == VERSION);
    let (token, signed_in_at) = match &stored {
        Some(t) => {
            let token = match (&t.access_token, t.expires_at) {
                (Some(access_token), Some(expires_at)) => Some(Token {
                    access_token: SecretString::from(access_token.clone()),
                    expires_at,
                    refresh_token: t.refresh_token.clone().map(SecretString::from),
                }),
                _ => None,
            };
            (token, t.signed_in_at)
        }
        None => (None, None),
    };
    Ok(Some(SsoSecrets { registration, token, signed_in_at }))
}

/// Keeps the IAM Identity Center secrets of `source`: the registration, then the token (or, with
/// neither a token nor a sign-in time, removes the kept one). How many items each took.
pub(crate) fn store(service: &str, source: &Name, secrets: &SsoSecrets) -> Result<(usize, usize), KeychainError> {
    let registration = &secrets.registration;
    let stored = StoredRegistration {
        v: VERSION,
        client_id: registration.client_id.clone(),
        client_secret: registration.client_secret.expose_secret().to_owned(),
        expires_at: registration.expires_at,
        redirect_uri: registration.redirect_uri.clone(),
    };
    let json = to_json(&stored);
    drop(stored);
    let registration_items = write_value(service, source, &registration_account(source), &json)?;
    drop(json);
    if secrets.token.is_none() && secrets.signed_in_at.is_none() {
        remove_value(service, &token_account(source)).map_err(|e| map_err(source, e))?;
        return Ok((registration_items, 0));
    }
    let token = secrets.token.as_ref();
    let stored = StoredToken {
        v: VERSION,
        access_token: token.map(|t| t.access_token.expose_secret().to_owned()),
        expires_at: token.map(|t| t.expires_at),
        refresh_token: token.and_then(|t| t.refresh_token.as_ref()).map(|r| r.expose_secret().to_owned()),
        signed_in_at: secrets.signed_in_at,
    };
    let json = to_json(&stored);
    drop(stored);
    let token_items = write_value(service, source, &token_account(source), &json)?;
    Ok((registration_items, token_items))
}

/// Removes the IAM Identity Center secrets of `source`: the token first, then the registration.
/// Whether there were any.
pub(crate) fn delete(service: &str, source: &Name) -> Result<bool, KeychainError> {
    let err = |e| map_err(source, e);
    let token = remove_value(service, &token_account(source)).map_err(err)?;
    let registration = remove_value(service, &registration_account(source)).map_err(err)?;
    Ok(token || registration)
}
