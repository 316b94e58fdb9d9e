//! Both languages are complete, and the language is chosen as promised: the language switch,
//! then the account's saved language, then the browser's Accept-Language, then zh-CN. The
//! switch changes the pages only; the account page and "my information" choose the emails'.
use std::{collections::BTreeSet, path::Path};

use partyday::{
    accounts::Role,
    i18n::{self, Locale},
    web::pages::ERROR_STATUSES,
};

use sea_orm::EntityTrait;

use crate::helpers::TestApp;

fn keys(locale: Locale) -> BTreeSet<&'static str> {
    i18n::keys(locale).collect()
}

#[test]
fn both_catalogues_hold_the_same_keys_and_arguments() {
    let (zh, en) = (keys(Locale::ZhCn), keys(Locale::En));
    let only_zh: Vec<_> = zh.difference(&en).collect();
    let only_en: Vec<_> = en.difference(&zh).collect();
    assert!(only_zh.is_empty() && only_en.is_empty(), "missing in en: {only_zh:?}; missing in zh-CN: {only_en:?}");
    let args = |text: &str| -> BTreeSet<String> {
        text.split('{').skip(1).filter_map(|s| s.split_once('}').map(|(a, _)| a.to_owned())).collect()
    };
    for key in &zh {
        assert_eq!(args(i18n::t(Locale::ZhCn, key)), args(i18n::t(Locale::En, key)), "arguments of {key} differ");
        assert!(!i18n::t(Locale::ZhCn, key).trim().is_empty(), "{key} is empty in zh-CN");
        assert!(!i18n::t(Locale::En, key).trim().is_empty(), "{key} is empty in en");
    }
}

/// String literals that look like catalogue keys (`section.name`, with a known section).
fn literal_keys(text: &str, sections: &BTreeSet<&str>) -> Vec<String> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            let first = s.split('.').next().unwrap_or("");
            s.contains('.')
                && sections.contains(first)
                && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
                && !s.ends_with('.')
                && !s.ends_with(".html")
        })
        .map(str::to_owned)
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs" || e == "html") {
            out.push(path);
        }
    }
}

#[test]
fn every_key_the_code_and_templates_use_exists() {
    let zh = keys(Locale::ZhCn);
    let sections: BTreeSet<&str> = zh.iter().map(|k| k.split('.').next().unwrap()).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join("src"), &mut files);
    walk(&root.join("templates"), &mut files);
    let mut missing = Vec::new();
    let mut used = 0;
    for file in &files {
        // The configuration names its own keys (`minutes.remind_after_days`), not the catalogue's.
        if file.ends_with("src/config.rs") {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        for key in literal_keys(&text, &sections) {
            used += 1;
            if !zh.contains(key.as_str()) {
                missing.push(format!("{}: {key}", file.strip_prefix(root).unwrap().display()));
            }
        }
    }
    assert!(used > 100, "the scan found only {used} keys: is it still reading the sources?");
    assert!(missing.is_empty(), "keys used but not in the catalogues:\n{}", missing.join("\n"));
    // Keys built at run time.
    for code in ERROR_STATUSES {
        for part in ["title", "text"] {
            assert!(zh.contains(format!("error.{code}.{part}").as_str()), "error.{code}.{part}");
        }
    }
    for role in Role::ALL {
        assert!(zh.contains(role.label_key()));
    }
}

#[tokio::test]
async fn chinese_by_default_english_when_the_browser_asks() {
    let app = TestApp::spawn().await;
    let c = app.client();
    c.get("/login").await.assert_contains("<html lang=\"zh-CN\">").assert_contains("登录");
    let en = c.http.get(c.url("/login")).header("accept-language", "en-GB,en;q=0.9,zh;q=0.5").send().await.unwrap();
    let en = crate::helpers::Client::read(en).await;
    en.assert_contains("<html lang=\"en\">").assert_contains("Sign in").assert_lacks("登录");
}

#[tokio::test]
async fn the_language_switch_beats_the_account_and_the_browser_and_changes_the_pages_only() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let with_browser_en = |path: &'static str| {
        let c = &c;
        async move {
            crate::helpers::Client::read(c.http.get(c.url(path)).header("accept-language", "en").send().await.unwrap())
                .await
        }
    };
    with_browser_en("/login").await.assert_contains("<html lang=\"en\">");
    let switched = c.post("/locale", &[("locale", "zh-CN"), ("next", "/login")]).await;
    switched.assert_redirect_to("/login");
    assert!(switched.set_cookie("pd_lang").unwrap().starts_with("pd_lang=zh-CN"));
    with_browser_en("/login").await.assert_contains("<html lang=\"zh-CN\">");
    c.post("/locale", &[("locale", "klingon"), ("next", "/")]).await.assert_status(400);
    c.post("/locale", &[("locale", "en"), ("next", "https://evil.example/")]).await.assert_redirect_to("/");

    // Signed in: the account page saves the language of emails; this browser's switch still
    // decides the pages.
    let account = app.create_account(Role::Member, "pref@example.org").await;
    let saved = || async {
        let a = partyday::accounts::entity::account::Entity::find_by_id(account).one(&app.state.db).await.unwrap();
        a.unwrap().locale
    };
    c.post("/locale", &[("locale", "zh-CN"), ("next", "/")]).await;
    c.login("pref@example.org", crate::helpers::PASSWORD).await;
    c.post("/account", &[("display_name", "Pref"), ("locale", "en")]).await.assert_redirect_to("/account");
    assert_eq!(saved().await.as_deref(), Some("en"));
    c.get("/account").await.assert_contains("<html lang=\"zh-CN\">").assert_contains("selected lang=\"en\"");
    // The switch, signed in: the pages change, the saved language of emails does not.
    c.post("/locale", &[("locale", "en"), ("next", "/account")]).await.assert_redirect_to("/account");
    c.get("/account").await.assert_contains("<html lang=\"en\">");
    c.post("/locale", &[("locale", "zh-CN"), ("next", "/account")]).await;
    c.get("/account").await.assert_contains("<html lang=\"zh-CN\">").assert_contains("selected lang=\"en\"");
    assert_eq!(saved().await.as_deref(), Some("en"), "the switch left the emails' language alone");
    // A browser that never switched shows the account's language.
    let other_browser = app.client();
    other_browser.login("pref@example.org", crate::helpers::PASSWORD).await;
    other_browser.get("/account").await.assert_contains("<html lang=\"en\">");
}

/// The language of a member's emails is the one saved on "my information", whatever language
/// the pages were switched to.
#[tokio::test]
async fn a_members_emails_follow_the_saved_language_not_the_switch() {
    use partyday::outbox::entity::outbox;
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    let (app, tree, s) = crate::attendance::setup("吴书记").await;
    let member = app.add_member(tree.a, "双语党员").await;
    let client = app.login_linked(Role::Member, member).await;
    let email = partyday::members::service::find_by_id(&app.state.db, member).await.unwrap().unwrap().email.unwrap();
    client.post("/me", &[("phone", ""), ("email", &email), ("locale", "")]).await.assert_status(303);
    // Reading the pages in English does not make the invitations English.
    client.post("/locale", &[("locale", "en"), ("next", "/me")]).await.assert_redirect_to("/me");
    client.get("/me").await.assert_contains("<html lang=\"en\">");
    let locale_of_last = || async {
        let rows = outbox::Entity::find()
            .filter(outbox::Column::Recipient.eq(&email))
            .order_by_desc(outbox::Column::Id)
            .all(&app.state.db)
            .await
            .unwrap();
        rows.first().map(|r| r.locale.clone())
    };
    crate::attendance::scheduled(&app, &s.client, tree.a, (chrono::Duration::days(3), 60), &[]).await;
    let locale = locale_of_last().await.expect("invited");
    assert!(locale.is_empty() || locale == "zh-CN", "the association's language: {locale:?}");
    // Chosen on "my information": the next email is English.
    client.post("/me", &[("phone", ""), ("email", &email), ("locale", "en")]).await.assert_status(303);
    crate::attendance::scheduled(&app, &s.client, tree.a, (chrono::Duration::days(4), 60), &[]).await;
    assert_eq!(locale_of_last().await.as_deref(), Some("en"));
}

#[tokio::test]
async fn error_pages_are_translated() {
    let app = TestApp::spawn().await;
    let c = app.client();
    c.get("/nowhere").await.assert_status(404).assert_contains("页面不存在");
    c.post("/locale", &[("locale", "en"), ("next", "/")]).await;
    c.get("/nowhere").await.assert_status(404).assert_contains("Page not found").assert_contains("<html lang=\"en\">");
}
