//! What every domain's parsed forms and lists share, apart from the web layer: field errors
//! (translated keys per field), choice enums with stable keys and translated labels, and one page
//! of a list. Domain rules and services use these; handlers render them.
use crate::i18n::{Locale, Msg};

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
}
