//! The AWS CLI's SSO token cache: its file names, the private writes, and removing only a file
//! that is a sign-in to the same portal.

use std::path::Path;

use rolecall_files::{AwsFiles, Paths};

fn files(home: &Path) -> AwsFiles {
    AwsFiles::new(Paths {
        config_dir: home.join("config"),
        data_dir: home.join("data"),
        credentials_file: home.join(".aws/credentials"),
        aws_config_file: home.join(".aws/config"),
        sso_cache_dir: home.join(".aws/sso/cache"),
    })
}

#[test]
fn the_file_is_named_by_the_sha1_of_its_key() {
    let home = tempfile::tempdir().unwrap();
    let f = files(home.path());
    // FIPS 180-4's examples (one block, two blocks), and the empty message.
    for (key, hex) in [
        ("abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
        ("", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    ] {
        assert_eq!(f.sso_cache_file(key), home.path().join(format!(".aws/sso/cache/{hex}.json")), "{key:?}");
    }
}

#[test]
fn it_is_written_privately_and_replaced_whole() {
    let home = tempfile::tempdir().unwrap();
    let f = files(home.path());
    let first = "{\"startUrl\": \"https://a.example/start\", \"accessToken\": \"one\"}\n";
    let path = f.write_sso_cache("corp", first).unwrap();
    assert_eq!(path, f.sso_cache_file("corp"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), first);
    let second = "{\"startUrl\": \"https://a.example/start\", \"accessToken\": \"two\"}\n";
    f.write_sso_cache("corp", second).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), second);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&home.path().join(".aws/sso/cache")), 0o700);
        assert_eq!(mode(&home.path().join(".aws/sso")), 0o700);
    }
    let left: Vec<_> = std::fs::read_dir(home.path().join(".aws/sso/cache"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".json") && !n.ends_with(".rolecall.lock"))
        .collect();
    assert!(left.is_empty(), "no temp file left: {left:?}");
}

#[test]
fn only_a_sign_in_to_the_same_portal_is_removed() {
    let home = tempfile::tempdir().unwrap();
    let f = files(home.path());
    assert!(!f.remove_sso_cache("corp", "https://a.example/start").unwrap(), "nothing there");
    let path = f.write_sso_cache("corp", "{\"startUrl\": \"https://b.example/start\"}").unwrap();
    assert!(!f.remove_sso_cache("corp", "https://a.example/start").unwrap());
    assert!(path.exists(), "another portal's sign-in stays");
    std::fs::write(&path, "not json").unwrap();
    assert!(!f.remove_sso_cache("corp", "https://a.example/start").unwrap());
    assert!(path.exists(), "a file rolecall cannot read as a sign-in stays");
    f.write_sso_cache("corp", "{\"startUrl\": \"https://a.example/start\"}").unwrap();
    assert!(f.remove_sso_cache("corp", "https://a.example/start").unwrap());
    assert!(!path.exists());
}
