//! What every domain's parsed forms and lists share, apart from the web layer: field errors
//! (translated keys per field), choice enums with stable keys and translated labels, and one page
//! of a list. Domain rules and services use these; handlers render them.
use chrono::NaiveDate;

use crate::i18n::{Locale, Msg};

/// What an erased reason reads (`privacy.reasons_keep_years`): the same in every language.
pub const ERASED: &str = "—";

/// Errors of a submitted form, by field name, in the order they were found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(Vec<(String, Msg)>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, key: &str) {
        self.add_msg(field, Msg::new(key));
    }

    pub fn add_msg(&mut self, field: &str, msg: Msg) {
        self.0.push((field.to_owned(), msg));
    }

    /// Keeps the value of a parse, or records its error against `field`.
    pub fn check<T>(&mut self, field: &str, result: Result<T, &'static str>) -> Option<T> {
        result.map_err(|key| self.add(field, key)).ok()
    }

    pub fn merge(&mut self, other: FieldErrors) {
        self.0.extend(other.0);
    }

    pub fn get(&self, field: &str) -> Option<&Msg> {
        self.0.iter().find(|(f, _)| f == field).map(|(_, m)| m)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every error with its field, in the order found (the error summary lists them all).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Msg)> {
        self.0.iter().map(|(f, m)| (f.as_str(), m))
    }

    pub fn single(field: &str, key: &str) -> Self {
        let mut e = Self::default();
        e.add(field, key);
        e
    }
}

/// An enum with stable keys, translated labels, and parsing from either (for imports).
pub trait Choice: Sized + Copy + PartialEq + 'static {
    const ALL: &'static [Self];
    fn key(self) -> &'static str;
    /// Catalogue key of the translated name.
    fn label_key(self) -> &'static str;

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.key() == s.trim())
    }

    /// Accepts the key or its label in any language (case-insensitively), as typed in a file.
    fn parse_lenient(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::parse(s).or_else(|| {
            Self::ALL
                .iter()
                .copied()
                .find(|c| Locale::ALL.iter().any(|l| crate::i18n::t(*l, c.label_key()).eq_ignore_ascii_case(s)))
        })
    }
}

pub fn parse_choice<T: Choice>(raw: &str) -> Result<T, &'static str> {
    T::parse_lenient(raw).ok_or("field.choose_one")
}

pub fn parse_optional_choice<T: Choice>(raw: &str) -> Result<Option<T>, &'static str> {
    if raw.trim().is_empty() { Ok(None) } else { parse_choice(raw).map(Some) }
}

/// Characters no stored text may hold: they break the documents the text goes into (XML refuses
/// control characters and U+FFFE/U+FFFF, so one of them in a title made the Atom feed and the
/// Word minutes unreadable for everyone) and show as nothing on screen. Tab and line breaks are
/// the caller's choice ([`optional_multiline`]). Unpaired surrogates cannot reach here: a `str`
/// is valid UTF-8, and bodies that are not are refused before parsing.
fn forbidden(c: char) -> bool {
    let n = u32::from(c);
    c.is_control() || (0xFDD0..=0xFDEF).contains(&n) || n & 0xFFFE == 0xFFFE
}

/// Characters that change how the text around them reads without showing themselves: the
/// bidirectional embeddings, overrides and isolates (a name that displays reversed) and the
/// zero-width characters (two names that look the same). Refused in single-line text (names,
/// titles, places); prose may need a direction mark and keeps them.
fn invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// One line of text of at most `max` characters, trimmed; empty means absent. Refuses control
/// characters, noncharacters and invisible direction or width marks.
pub fn optional_text(raw: &str, max: usize) -> Result<Option<String>, &'static str> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.chars().count() > max {
        return Err("field.too_long");
    }
    if s.chars().any(|c| forbidden(c) || invisible(c)) {
        return Err("field.invalid_characters");
    }
    Ok(Some(s.to_owned()))
}

/// Text of at most `max` characters where line breaks and tabs are allowed (notes, speeches,
/// report bodies); line ends are stored as `\n`. Other control characters and noncharacters
/// are refused.
pub fn optional_multiline(raw: &str, max: usize) -> Result<Option<String>, &'static str> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.chars().any(|c| forbidden(c) && !matches!(c, '\n' | '\r' | '\t')) {
        return Err("field.invalid_characters");
    }
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    if s.chars().count() > max {
        return Err("field.too_long");
    }
    Ok(Some(s))
}

/// Required one-line text of at most `max` characters.
pub fn required_text(raw: &str, max: usize) -> Result<String, &'static str> {
    optional_text(raw, max)?.ok_or("field.required")
}

/// A date typed as YYYY-MM-DD (also YYYY/MM/DD and YYYY.MM.DD), between 1900 and 2200: no year
/// 0001 stored and never shown, no year 12345 that a document cannot print.
pub fn parse_date(raw: &str) -> Result<Option<NaiveDate>, &'static str> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let normalised = s.replace(['/', '.'], "-");
    let date = NaiveDate::parse_from_str(&normalised, "%Y-%m-%d").map_err(|_| "field.date_invalid")?;
    if !(1900..=2200).contains(&chrono::Datelike::year(&date)) {
        return Err("field.date_invalid");
    }
    Ok(Some(date))
}

/// The longest email address accepted (RFC 5321's path limit).
pub const EMAIL_MAX: usize = 254;

/// A syntactically valid email address, trimmed and lower-cased.
pub fn parse_email(raw: &str) -> Result<String, &'static str> {
    let s = raw.trim().to_lowercase();
    if s.is_empty() {
        return Err("field.required");
    }
    if s.chars().count() > EMAIL_MAX {
        return Err("field.email_invalid");
    }
    let (local, domain) = s.rsplit_once('@').ok_or("field.email_invalid")?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with(['.', '-'])
        && !domain.ends_with(['.', '-'])
        && !domain.contains("..")
        && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.contains('@')
        && local.chars().all(|c| !c.is_whitespace() && !c.is_control() && !"<>()[]\\,;:\"".contains(c));
    if domain_ok && local_ok { Ok(s) } else { Err("field.email_invalid") }
}

/// An email that may be left empty.
pub fn parse_optional_email(raw: &str) -> Result<Option<String>, &'static str> {
    if raw.trim().is_empty() { Ok(None) } else { parse_email(raw).map(Some) }
}

/// A language tag that may be left empty (follow the browser).
pub fn parse_optional_locale(raw: &str) -> Result<Option<Locale>, &'static str> {
    if raw.trim().is_empty() { Ok(None) } else { Locale::from_tag(raw).map(Some).ok_or("field.choose_one") }
}

/// A phone number: digits with an optional leading +, and - or spaces between (stripped of
/// spaces); 5 to 20 characters.
pub fn parse_phone(raw: &str) -> Result<Option<String>, &'static str> {
    let s: String = raw.trim().chars().filter(|c| !c.is_whitespace()).collect();
    if s.is_empty() {
        return Ok(None);
    }
    let body = s.strip_prefix('+').unwrap_or(&s);
    let digits = body.chars().filter(char::is_ascii_digit).count();
    let ok = (5..=20).contains(&s.len())
        && digits >= 5
        && body.chars().all(|c| c.is_ascii_digit() || c == '-')
        && !body.starts_with('-')
        && !body.ends_with('-');
    if ok { Ok(Some(s)) } else { Err("field.phone_invalid") }
}

/// An id chosen in a select box; empty means none.
pub fn parse_optional_id(raw: &str) -> Result<Option<i64>, &'static str> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<i64>().map(Some).map_err(|_| "field.choose_one")
}

/// One page of a list and what is needed to draw its pager.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

impl<T> Page<T> {
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(self.per_page).max(1)
    }

    pub fn has_prev(&self) -> bool {
        self.page > 1
    }

    pub fn has_next(&self) -> bool {
        self.page < self.pages()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pager() {
        let p = Page::<u8> { items: vec![], total: 101, page: 2, per_page: 50 };
        assert_eq!(p.pages(), 3);
        assert!(p.has_prev() && p.has_next());
        let empty = Page::<u8> { items: vec![], total: 0, page: 1, per_page: 50 };
        assert_eq!(empty.pages(), 1);
        assert!(!empty.has_next());
    }

    #[test]
    fn text_refuses_what_breaks_documents_or_hides_itself() {
        for bad in [
            "a\u{0}b",
            "a\u{1b}b",
            "a\u{7f}b",
            "a\u{85}b",
            "a\u{FFFF}",
            "\u{FFFE}a",
            "a\u{FDD0}",
            "a\u{10FFFF}",
            "a\u{1FFFE}",
        ] {
            assert_eq!(optional_text(bad, 50), Err("field.invalid_characters"), "{bad:?}");
            assert_eq!(optional_multiline(bad, 50), Err("field.invalid_characters"), "{bad:?}");
        }
        for hidden in ["abc\u{202E}def", "a\u{2066}b\u{2069}", "张\u{200B}三", "a\u{FEFF}", "a\u{200D}b"] {
            assert_eq!(optional_text(hidden, 50), Err("field.invalid_characters"), "{hidden:?}");
        }
        // Prose keeps tabs, line breaks (as \n) and a direction mark; names keep CJK and emoji.
        assert_eq!(
            optional_multiline(" 第一段\r\n\t第二段\r第三段 ", 50),
            Ok(Some("第一段\n\t第二段\n第三段".to_owned()))
        );
        assert_eq!(optional_multiline("שלום\u{200F} ok", 50), Ok(Some("שלום\u{200F} ok".to_owned())));
        assert_eq!(optional_text(" 王局长 🎉 ", 50), Ok(Some("王局长 🎉".to_owned())));
        assert_eq!(optional_text("a\nb", 50), Err("field.invalid_characters"));
        assert_eq!(optional_text("  ", 50), Ok(None));
        assert_eq!(required_text("", 50), Err("field.required"));
        assert_eq!(optional_text("一二三", 2), Err("field.too_long"));
        assert_eq!(optional_multiline("一\r\n二", 3), Ok(Some("一\n二".to_owned())));
    }

    #[test]
    fn dates_stay_within_what_a_document_can_print() {
        assert_eq!(parse_date("2024/7/1"), Ok(NaiveDate::from_ymd_opt(2024, 7, 1)));
        for bad in ["0001-01-01", "0000-01-01", "-0001-01-01", "+12345-01-01", "12345-01-01", "2024-02-30"] {
            assert_eq!(parse_date(bad), Err("field.date_invalid"), "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert_eq!(parse_email("  Li.Wei@Example.ORG "), Ok("li.wei@example.org".into()));
        assert_eq!(parse_email("王伟@医院.中国"), Ok("王伟@医院.中国".into()));
        for bad in ["", "a", "a@b", "@b.cn", "a@.cn", "a@b..cn", "a b@c.cn", "a@b.cn.", "a<b@c.cn", "a@b_c.cn"] {
            assert!(parse_email(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(parse_email(""), Err("field.required"));
        assert!(parse_email(&format!("{}@example.org", "a".repeat(250))).is_err());
        assert_eq!(parse_optional_email("  "), Ok(None));
        assert_eq!(parse_optional_email("A@B.cn"), Ok(Some("a@b.cn".into())));
    }

    #[test]
    fn phones() {
        assert_eq!(parse_phone(" 138 0013 8000 "), Ok(Some("13800138000".into())));
        assert_eq!(parse_phone("+86-10-12345678"), Ok(Some("+86-10-12345678".into())));
        assert_eq!(parse_phone(""), Ok(None));
        for bad in ["abc", "123", "12-", "138001380001380013800", "++8613800138000", "1380013800x"] {
            assert_eq!(parse_phone(bad), Err("field.phone_invalid"), "{bad}");
        }
    }

    #[test]
    fn ids_and_locales() {
        assert_eq!(parse_optional_id(" 12 "), Ok(Some(12)));
        assert_eq!(parse_optional_id(""), Ok(None));
        assert_eq!(parse_optional_id("x"), Err("field.choose_one"));
        assert_eq!(parse_optional_locale(""), Ok(None));
        assert_eq!(parse_optional_locale("xx-nowhere"), Err("field.choose_one"));
    }
}
