//! Form plumbing of the web layer: safe redirect targets and page numbers from query strings,
//! and the error summary a refused form shows at its top (field errors, choices and pages are in
//! the neutral `crate::forms`).
use crate::{
    forms::FieldErrors,
    i18n::{self, Locale},
};

/// A local path to return to after a form, or "/" if the given one could lead off-site.
pub fn local_path(next: Option<&str>) -> String {
    match next {
        // "//host" and "/\host" are taken by browsers as other sites.
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && !p.chars().any(char::is_control) =>
        {
            p.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// Query parameter `page` of a list, 1-based; anything unusable means the first page.
pub fn page_number(raw: Option<&str>) -> u64 {
    raw.and_then(|s| s.trim().parse::<u64>().ok()).filter(|n| (1..=1_000_000).contains(n)).unwrap_or(1)
}

/// One line of a form's error summary: the field's name as a reader knows it, the message, and
/// the fragment that leads to the field (none for an error of the whole form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorLine {
    pub href: Option<String>,
    pub label: Option<String>,
    pub message: String,
}

/// Field names that read the same on every form that has them, with the catalogue key of their
/// label. A page whose field is named otherwise passes its own label (see [`error_lines`]).
/// Names ending in a row number ("speech.3", "guest_1") are looked up without it and the label
/// gets the number, counted from 1.
const LABELS: &[(&str, &str)] = &[
    ("address", "field.address"),
    ("agenda", "held.agenda_n"),
    ("answer_deadline", "event.answer_deadline"),
    ("audience_group_id", "event.audience_group"),
    ("audience_kind", "event.audience"),
    ("author_department", "report.author"),
    ("birth_date", "field.birth_date"),
    ("body", "report.field_body"),
    ("branch_id", "field.branch"),
    ("capacity", "event.capacity"),
    ("co_organisers", "event.co_organisers"),
    ("code", "field.code"),
    ("comment", "minutes.send_back_comment"),
    ("contact_email", "field.contact_email"),
    ("contact_person", "field.contact_person"),
    ("contact_phone", "field.contact_phone"),
    ("current_password", "field.current_password"),
    ("description", "event.description"),
    ("display_name", "field.display_name"),
    ("effective_on", "member.effective_on"),
    ("email", "field.email"),
    ("ends_at", "event.ends_at"),
    ("from_on", "officer.from"),
    ("full_member_on", "field.full_member_on"),
    ("gender", "field.gender"),
    ("group_id", "field.group"),
    ("guest", "held.guest_n"),
    ("guests", "event.guests"),
    ("host_guest_name", "event.host_guest_name"),
    ("host_member_id", "event.host"),
    ("item", "minutes.item_n"),
    ("joined_party_on", "field.joined_party_on"),
    ("kind", "field.kind"),
    ("locale", "account.mail_locale"),
    ("location", "event.location"),
    ("member", "account.member_lookup"),
    ("member_id", "officer.member"),
    ("minutes", "event.agenda_minutes"),
    ("name", "field.name"),
    ("non_voting_count", "non_voting.count"),
    ("non_voting_note", "non_voting.note"),
    ("note", "member.note"),
    ("notes", "field.notes"),
    ("organisation", "event.guest_organisation"),
    ("parent_id", "field.parent"),
    ("password", "field.password"),
    ("password_confirm", "field.password_confirm"),
    ("phone", "field.phone"),
    ("picks", "event.picks"),
    ("political_status", "field.political_status"),
    ("post", "field.post"),
    ("presenter", "event.agenda_presenter"),
    ("reason", "member.reason"),
    ("recorder_member_id", "event.recorder"),
    ("report_author", "field.report_author"),
    ("resolution", "error_summary.label.resolution"),
    ("action", "error_summary.label.action"),
    ("role", "field.role"),
    ("rule_kind", "series.rule"),
    ("shown_on", "report.shown_on"),
    ("speech", "error_summary.label.speech"),
    ("start_time", "series.start_time"),
    ("starts_at", "event.starts_at"),
    ("statuses", "event.audience_statuses"),
    ("summary", "report.field_summary"),
    ("timezone", "field.timezone"),
    ("title", "event.title"),
    ("topic", "event.topic"),
    ("unit", "field.unit"),
    ("until", "series.until"),
    ("until_on", "officer.until"),
];

/// A field name without its row number, and the number counted from 1: "speech.3" → ("speech",
/// 4), "guest_0" → ("guest", 1).
fn split_row(field: &str) -> (&str, Option<usize>) {
    match field.rfind(['.', '_']) {
        Some(at) => match field[at + 1..].parse::<usize>() {
            Ok(i) => (&field[..at], Some(i + 1)),
            Err(_) => (field, None),
        },
        None => (field, None),
    }
}

/// The id of the element a summary line leads to: the field's own (`f-name`, which the `field`
/// macro gives its input), with the form's prefix where a page has several forms, and a row's
/// number after a dash ("speech.3" → "f-speech-3").
pub fn anchor(prefix: &str, field: &str) -> String {
    format!("f-{prefix}{}", field.replace('.', "-"))
}

/// The lines of a refused form's summary, in the order the errors were found. `labels` names
/// fields this page calls otherwise than [`LABELS`] does (field, catalogue key); `names` gives
/// fields whose label is not in the catalogue (a person on a roster), as text.
pub fn error_lines(
    locale: Locale,
    errors: &FieldErrors,
    prefix: &str,
    labels: &[(&str, &str)],
    names: &[(String, String)],
) -> Vec<ErrorLine> {
    errors
        .iter()
        .map(|(field, msg)| {
            let message = i18n::render(locale, msg);
            if field == "form" {
                return ErrorLine { href: None, label: None, message };
            }
            let label = if let Some((_, name)) = names.iter().find(|(f, _)| f == field) {
                Some(name.clone())
            } else if let Some((_, key)) = labels.iter().find(|(f, _)| *f == field) {
                Some(i18n::t(locale, key).to_owned())
            } else {
                let (base, n) = split_row(field);
                LABELS.iter().find(|(f, _)| *f == base).map(|(_, key)| match n {
                    Some(n) => i18n::render(locale, &i18n::Msg::new(key).arg("n", n)),
                    None => i18n::t(locale, key).to_owned(),
                })
            };
            ErrorLine { href: Some(format!("#{}", anchor(prefix, field))), label, message }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_lines_name_and_lead_to_their_fields() {
        let mut e = FieldErrors::default();
        e.add("form", "event.stale");
        e.add("title", "field.required");
        e.add("speech.3", "field.too_long");
        e.add("att_12", "held.mark_required");
        let names = [("att_12".to_owned(), "王伟".to_owned())];
        let lines = error_lines(Locale::En, &e, "", &[("title", "report.field_title")], &names);
        assert_eq!(lines[0].href, None);
        assert_eq!(lines[1].href.as_deref(), Some("#f-title"));
        assert_eq!(lines[1].label.as_deref(), Some(i18n::t(Locale::En, "report.field_title")));
        assert_eq!(lines[2].href.as_deref(), Some("#f-speech-3"));
        assert!(lines[2].label.as_deref().is_some_and(|l| l.contains('4')), "{:?}", lines[2]);
        assert_eq!(lines[3].label.as_deref(), Some("王伟"));
        assert_eq!(error_lines(Locale::En, &e, "status-", &[], &[])[1].href.as_deref(), Some("#f-status-title"));
    }

    /// Every label the table names is in both catalogues (a missing one would show its key).
    #[test]
    fn summary_labels_are_translated() {
        for locale in Locale::ALL {
            let keys: Vec<&str> = i18n::keys(locale).collect();
            for (field, key) in LABELS {
                assert!(keys.contains(key), "{field}: {key} missing in {}", locale.tag());
            }
        }
    }

    #[test]
    fn local_paths_only() {
        assert_eq!(local_path(Some("/admin/accounts?page=2")), "/admin/accounts?page=2");
        for bad in ["//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)", "", "/a\nb"] {
            assert_eq!(local_path(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(local_path(None), "/");
    }

    #[test]
    fn page_numbers() {
        assert_eq!(page_number(Some("3")), 3);
        for bad in [None, Some("0"), Some("-1"), Some("x"), Some("99999999999999999999")] {
            assert_eq!(page_number(bad), 1);
        }
    }
}
