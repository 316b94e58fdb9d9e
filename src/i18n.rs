//! Translations: one TOML catalogue per locale under `locales/`, compiled into the binary.
//! Keys are dotted (`login.title`); `{name}` in a text is replaced by the argument `name`.
//! zh-CN is the default; a test checks that both catalogues hold the same keys and that every
//! key the code and templates use exists.
use std::{collections::HashMap, sync::OnceLock};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Locale {
    ZhCn,
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::ZhCn, Locale::En];

    /// The BCP 47 tag, as used in `<html lang>`, cookies and the accounts table.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }

    /// Parses a tag as stored or submitted ("zh-CN", "en"), case-insensitively.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        Locale::ALL.into_iter().find(|l| l.tag().eq_ignore_ascii_case(tag.trim()))
    }

    /// Picks the best supported locale from an Accept-Language header, honouring q-values.
    pub fn negotiate(accept_language: &str) -> Option<Locale> {
        let mut best: Option<(f32, Locale)> = None;
        for part in accept_language.split(',') {
            let mut pieces = part.split(';');
            let range = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces.find_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.parse::<f32>().ok())).unwrap_or(1.0);
            let locale = match range.split('-').next() {
                Some("zh") => Locale::ZhCn,
                Some("en") => Locale::En,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, locale));
            }
        }
        best.map(|(_, l)| l)
    }

    /// The name of the language in itself, for the language switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::ZhCn => "中文",
            Locale::En => "English",
        }
    }
}

/// A message to show the user: a catalogue key and its arguments. Errors and flash messages carry
/// these rather than text so that they are rendered in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Msg {
    pub key: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<(String, String)>,
}

impl Msg {
    pub fn new(key: &str) -> Self {
        Self { key: key.to_owned(), args: Vec::new() }
    }

    pub fn arg(mut self, name: &str, value: impl std::fmt::Display) -> Self {
        self.args.push((name.to_owned(), value.to_string()));
        self
    }
}

type Catalogue = HashMap<String, String>;

const SOURCES: [(Locale, &str); 2] =
    [(Locale::ZhCn, include_str!("../locales/zh-CN.toml")), (Locale::En, include_str!("../locales/en.toml"))];

fn catalogues() -> &'static HashMap<Locale, Catalogue> {
    static CATALOGUES: OnceLock<HashMap<Locale, Catalogue>> = OnceLock::new();
    CATALOGUES.get_or_init(|| {
        SOURCES
            .iter()
            .map(|(locale, src)| {
                (*locale, parse_catalogue(src).unwrap_or_else(|e| panic!("locales/{}.toml: {e}", locale.tag())))
            })
            .collect()
    })
}

/// Flattens nested TOML tables into dotted keys.
pub fn parse_catalogue(src: &str) -> Result<Catalogue, String> {
    fn walk(prefix: &str, table: &toml::Table, out: &mut Catalogue) -> Result<(), String> {
        for (k, v) in table {
            let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
            match v {
                toml::Value::String(s) => {
                    out.insert(key, s.clone());
                }
                toml::Value::Table(t) => walk(&key, t, out)?,
                _ => return Err(format!("{key}: only strings and tables are allowed")),
            }
        }
        Ok(())
    }
    let table: toml::Table = src.parse().map_err(|e: toml::de::Error| e.to_string())?;
    let mut out = Catalogue::new();
    walk("", &table, &mut out)?;
    Ok(out)
}

/// Every key of a locale's catalogue (for tests and tools).
pub fn keys(locale: Locale) -> impl Iterator<Item = &'static str> {
    catalogues()[&locale].keys().map(String::as_str)
}

/// The text for `key`, or the key itself when it is missing (a test keeps that from shipping).
pub fn t(locale: Locale, key: &str) -> &str {
    match catalogues()[&locale].get(key) {
        Some(text) => text,
        None => {
            tracing::warn!(key, locale = locale.tag(), "missing translation");
            key
        }
    }
}

/// The text for a message, with its `{name}` placeholders filled in.
pub fn render(locale: Locale, msg: &Msg) -> String {
    let args: Vec<(&str, &str)> = msg.args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    fill(t(locale, &msg.key), &args)
}

/// `template` with each `{name}` of `args` replaced by its value, in one pass: a value that
/// holds braces (a title such as "{x}") is never read as a placeholder. Unknown names stay. A
/// value set in quotation marks (“{title}”) has the marks inside it made the inner ones (‘…’),
/// so quotes never nest as “…“…”…”.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + args.iter().map(|(_, v)| v.len()).sum::<usize>());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').and_then(|close| Some((close, args.iter().find(|(k, _)| *k == &after[..close])?))) {
            Some((close, (_, value))) => {
                rest = &after[close + 1..];
                if out.ends_with('“') && rest.starts_with('”') {
                    out.extend(value.chars().map(|c| match c {
                        '“' => '‘',
                        '”' => '’',
                        c => c,
                    }));
                } else {
                    out.push_str(value);
                }
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_once() {
        let args = [("a", "{b}"), ("b", "2")];
        assert_eq!(fill("{a} and {b}", &args), "{b} and 2", "a value is never read as a placeholder");
        assert_eq!(fill("{unknown} {a", &args), "{unknown} {a", "unknown names and lone braces stay");
        let msg = Msg { key: "home.welcome".to_owned(), args: vec![("name".to_owned(), "{name}".to_owned())] };
        assert_eq!(render(Locale::En, &msg), "Welcome, {name}");
    }

    #[test]
    fn negotiates_accept_language() {
        assert_eq!(Locale::negotiate("en-US,en;q=0.9"), Some(Locale::En));
        assert_eq!(Locale::negotiate("fr, zh-CN;q=0.8, en;q=0.5"), Some(Locale::ZhCn));
        assert_eq!(Locale::negotiate("zh-TW;q=0.2, en-GB;q=0.7"), Some(Locale::En));
        assert_eq!(Locale::negotiate("de, fr"), None);
        assert_eq!(Locale::negotiate("en;q=0"), None);
        assert_eq!(Locale::negotiate(""), None);
    }

    #[test]
    fn quotes_inside_quotes_use_the_inner_marks() {
        assert_eq!(
            fill("诚邀您参加“{title}”。", &[("title", "“党建+医疗质量”座谈会")]),
            "诚邀您参加“‘党建+医疗质量’座谈会”。"
        );
        assert_eq!(fill("{title}：", &[("title", "“党建”")]), "“党建”：", "unquoted values stay as typed");
    }

    #[test]
    fn renders_arguments() {
        let msg = Msg::new("login.throttled").arg("minutes", 7);
        assert!(render(Locale::En, &msg).contains('7'));
        assert!(render(Locale::ZhCn, &msg).contains('7'));
        assert!(!render(Locale::En, &msg).contains("{minutes}"));
    }
}
