//! Who presided over an event and who kept its record, as named after it took place (from the
//! minutes page): the host (a member of the holding branches, or an outside host by name) and the
//! recorder (a member).
use crate::forms::{FieldErrors, optional_text};

/// The host and recorder of an event, as parsed from a form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct People {
    pub host_member_id: Option<i64>,
    pub host_guest_name: Option<String>,
    pub recorder_member_id: Option<i64>,
}

/// Reads the form's three fields (`host_member_id`, `host_guest_name`, `recorder_member_id`):
/// a host is a member or a typed name, not both; a chosen id that is not a number was not made by
/// the form and says so.
pub fn parse_people(
    host_member_id: &str,
    host_guest_name: &str,
    recorder_member_id: &str,
) -> Result<People, FieldErrors> {
    let mut errors = FieldErrors::default();
    let id = |field: &str, raw: &str, errors: &mut FieldErrors| {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        let parsed = raw.parse::<i64>().ok().filter(|n| *n > 0);
        if parsed.is_none() {
            errors.add(field, "field.choose_one");
        }
        parsed
    };
    let host_member_id = id("host_member_id", host_member_id, &mut errors);
    let recorder_member_id = id("recorder_member_id", recorder_member_id, &mut errors);
    let host_guest_name = optional_text(host_guest_name, 100).unwrap_or_else(|key| {
        errors.add("host_guest_name", key);
        None
    });
    if host_member_id.is_some() && host_guest_name.is_some() {
        errors.add("host_guest_name", "event.host_one_of");
    }
    if errors.is_empty() { Ok(People { host_member_id, host_guest_name, recorder_member_id }) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_is_a_member_or_a_name_and_ids_are_ids() {
        let p = parse_people("7", "", "9").expect("a member host");
        assert_eq!(p, People { host_member_id: Some(7), host_guest_name: None, recorder_member_id: Some(9) });
        let p = parse_people("", " 王局长 ", "").expect("a named host");
        assert_eq!(p.host_guest_name.as_deref(), Some("王局长"));
        assert_eq!(parse_people("", "", "").expect("nobody"), People::default());
        let e = parse_people("7", "王局长", "x").expect_err("refused");
        assert_eq!(e.get("host_guest_name").map(|m| m.key.as_str()), Some("event.host_one_of"));
        assert_eq!(e.get("recorder_member_id").map(|m| m.key.as_str()), Some("field.choose_one"));
        assert!(parse_people("-3", "", "").is_err());
    }
}
