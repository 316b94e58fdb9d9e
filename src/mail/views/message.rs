//! Rendering an outbox row into a message: subject, plain text and HTML in the recipient's
//! language, and the event as an iCalendar part (METHOD:REQUEST, or CANCEL for cancellations).
use askama::Template;
use chrono_tz::Tz;
use lettre::{
    Message,
    message::{Mailbox, MultiPart, SinglePart, header::ContentType},
};
use sea_orm::DbErr;

use crate::mail::Mailer;
use crate::{
    events::{
        entity::{agenda, change, event},
        service::{
            self, attachments, feeds,
            work::{About, Step, Work},
        },
        views::ical,
    },
    forms::Choice,
    i18n::{self, Locale, Msg},
    invitations::Answer,
    outbox::{Kind, entity::outbox},
};

/// What every message about an event shows; built once per event and send pass.
pub struct EventFacts {
    pub event: event::Model,
    pub branch_name: String,
    /// The branches that hold it with the organiser: a joint activity's messages name them all.
    pub co_organisers: Vec<String>,
    pub tz: Tz,
    pub host: Option<String>,
    pub agenda: Vec<agenda::Model>,
    /// (file name, link)
    pub attachments: Vec<(String, String)>,
    pub url: String,
    pub ics_request: String,
    pub ics_cancel: String,
    /// Documents other domains add to their messages (the locked minutes), by language.
    pub documents: Vec<(Locale, Vec<String>)>,
    /// The event's changes of time and place (an update says which of them it brings).
    pub changes: Vec<change::Model>,
}

impl EventFacts {
    pub async fn load(mailer: &Mailer, event_id: i64) -> Result<Option<EventFacts>, DbErr> {
        let db = &mailer.db;
        let Some(service::facts::Facts { event, organiser, co_organisers, host }) =
            service::facts::facts(db, event_id).await?
        else {
            return Ok(None);
        };
        let tz = organiser.tz();
        let host = host.map(|(name, _)| name);
        let base = mailer.settings.base_url.as_str().trim_end_matches('/').to_owned();
        let attachments = attachments::of_event(db, event.id)
            .await?
            .into_iter()
            .map(|a| (a.file_name, format!("{base}/events/{}/attachments/{}", event.id, a.id)))
            .collect();
        let locale = mailer.settings.default_locale;
        let one = std::slice::from_ref(&event);
        let ics =
            |method| feeds::calendar_of(&mailer.db, mailer.settings.site(), mailer.now(), locale, one, None, method);
        let (ics_request, ics_cancel) = (ics(ical::Method::Request).await?, ics(ical::Method::Cancel).await?);
        let mut documents = Vec::new();
        for locale in Locale::ALL {
            for document in mailer.documents {
                if let Some(lines) = document(&mailer.db, &event, locale).await? {
                    documents.push((locale, lines));
                }
            }
        }
        Ok(Some(EventFacts {
            documents,
            branch_name: organiser.name,
            co_organisers,
            tz,
            host,
            agenda: service::agenda_of(db, event.id).await?,
            changes: service::changes_of(db, event.id)
                .await?
                .into_iter()
                .filter(|c| matches!(c.kind.as_str(), "time" | "place"))
                .collect(),
            attachments,
            url: format!("{base}/events/{}", event.id),
            ics_request,
            ics_cancel,
            event,
        }))
    }
}

/// The values the templates read.
pub struct Mail<'a> {
    pub locale: Locale,
    pub name: &'a str,
    pub facts: &'a EventFacts,
    /// The invitee's answer and leave reason, as recorded when the message is sent.
    pub answer: Option<(Answer, Option<String>)>,
    /// The invitee's own page of the event, where they answer (all but cancellations).
    pub answer_url: Option<String>,
    /// Answers are still taken: the message asks for one.
    pub answers_open: bool,
    /// Invited as a guest: no leave to ask for.
    pub guest: bool,
    /// The event's iCalendar sequence the message was queued at (an update's changes).
    pub sequence: i32,
    /// What a message about the work after the meeting says.
    pub work: Option<Work>,
}

impl Mail<'_> {
    /// The lines of the documents the message carries, in the reader's language.
    pub fn document(&self) -> Vec<&str> {
        self.facts
            .documents
            .iter()
            .filter(|(l, _)| *l == self.locale)
            .flat_map(|(_, lines)| lines.iter().map(String::as_str))
            .collect()
    }

    /// The event's page for this reader: their own page by the message's token (no account
    /// needed), else the event page.
    pub fn event_url(&self) -> &str {
        self.answer_url.as_deref().unwrap_or(&self.facts.url)
    }

    /// "Please answer by 2026-12-20 18:00."
    pub fn answer_by(&self) -> String {
        let by = crate::invitations::closes_at(self.facts.event.answer_deadline, self.facts.event.starts_at);
        self.tr_with("email.answer_by", "deadline", &crate::events::format::local(&by, self.facts.tz))
    }

    /// What the update this message carries changed: (what, old → new).
    pub fn changed(&self) -> Vec<(&'static str, String)> {
        self.facts
            .changes
            .iter()
            .filter(|c| c.sequence == self.sequence)
            .map(|c| {
                let what = if c.kind == "time" { "change.time" } else { "change.place" };
                (self.tr(what), crate::events::format::change_summary(&c.kind, &c.summary, self.facts.tz))
            })
            .collect()
    }

    pub fn minutes_url(&self) -> String {
        format!("{}/minutes", self.facts.url)
    }

    pub fn report_url(&self) -> String {
        format!("{}/report", self.facts.url)
    }

    /// The page a work message is about: the minutes or the report.
    pub fn work_url(&self) -> String {
        match self.work.as_ref().map(|w| w.about) {
            Some(About::Report) => self.report_url(),
            _ => self.minutes_url(),
        }
    }

    /// What a work message tells (its subject's key is the same with "_subject").
    fn work_key(&self) -> &'static str {
        let Some(w) = &self.work else { return "email.work_minutes_due" };
        match (w.about, w.step) {
            (About::Minutes, Step::Due) => "email.work_minutes_due",
            (About::Minutes, _) => "email.work_minutes_returned",
            (About::Report, Step::Published) => "email.work_report_published",
            (About::Report, Step::Withdrawn) => "email.work_report_withdrawn",
            (About::Report, _) => "email.work_report_returned",
        }
    }

    pub fn work_intro(&self) -> String {
        let w = self.work.as_ref();
        let by = w.and_then(|w| w.by.clone()).unwrap_or_default();
        let days = w.and_then(|w| w.days).unwrap_or_default().to_string();
        let msg = Msg::new(self.work_key()).arg("title", &self.facts.event.title).arg("by", by).arg("days", days);
        i18n::render(self.locale, &msg)
    }

    /// The comment of a return, the reason of a withdrawal, with its label.
    pub fn work_note(&self) -> Option<String> {
        let w = self.work.as_ref()?;
        let note = w.note.as_deref().filter(|n| !n.trim().is_empty())?;
        let label = if w.step == Step::Withdrawn { "email.work_reason" } else { "email.work_comment" };
        Some(format!("{}{note}", self.tr(label)))
    }

    fn work_subject(&self) -> String {
        let key = format!("{}_subject", self.work_key());
        i18n::render(self.locale, &Msg::new(&key).arg("title", &self.facts.event.title))
    }

    pub fn tr<'k>(&self, key: &'k str) -> &'k str {
        i18n::t(self.locale, key)
    }

    pub fn tr_with(&self, key: &str, name: &str, value: &str) -> String {
        i18n::render(self.locale, &Msg::new(key).arg(name, value))
    }

    pub fn kind(&self) -> &'static str {
        self.tr(self.facts.event.kind.label_key())
    }

    pub fn when(&self) -> String {
        let e = &self.facts.event;
        let (start, end) = (e.starts_at.with_timezone(&self.facts.tz), e.ends_at.with_timezone(&self.facts.tz));
        let end_fmt = if start.date_naive() == end.date_naive() { "%H:%M" } else { "%Y-%m-%d %H:%M" };
        let zone = crate::events::format::zone_note(self.facts.tz, self.locale);
        format!("{} – {}{zone}", start.format("%Y-%m-%d %H:%M"), end.format(end_fmt))
    }

    /// "Please answer “…” by 2026-12-20 18:00".
    pub fn deadline_intro(&self) -> String {
        let e = &self.facts.event;
        let by = e.answer_deadline.unwrap_or(e.starts_at).with_timezone(&self.facts.tz).format("%Y-%m-%d %H:%M");
        i18n::render(self.locale, &Msg::new("email.deadline_intro").arg("title", &e.title).arg("deadline", by))
    }

    /// "您的回复：参加" with the leave reason, for answer copies.
    pub fn answer_text(&self) -> String {
        let Some((answer, reason)) = &self.answer else { return String::new() };
        let label = self.tr(answer.label_key()).to_owned();
        match reason {
            Some(r) => format!("{}: {label} ({r})", self.tr("answer.current")),
            None => format!("{}: {label}", self.tr("answer.current")),
        }
    }

    /// What a notice tells: the leave decision, a seat from the waitlist, or a changed answer.
    pub fn notice_intro(&self) -> String {
        let key = match self.answer.as_ref().map(|(a, _)| *a) {
            Some(Answer::LeaveApproved) => "email.notice_leave_approved",
            Some(Answer::LeaveRejected) => "email.notice_leave_rejected",
            Some(Answer::Accepted) => "email.notice_accepted",
            _ => "email.notice_changed",
        };
        self.tr_with(key, "title", &self.facts.event.title)
    }

    pub fn location(&self) -> &str {
        self.facts.event.location.as_deref().unwrap_or("—")
    }
}

// One folder per kind, each with a plain-text and an HTML body.
#[derive(Template)]
#[template(path = "mail/invitation/text.txt")]
struct InvitationText<'a> {
    m: &'a Mail<'a>,
}

#[derive(Template)]
#[template(path = "mail/invitation/html.html")]
struct InvitationHtml<'a> {
    m: &'a Mail<'a>,
}

#[derive(Template)]
#[template(path = "mail/update/text.txt")]
struct UpdateText<'a> {
    m: &'a Mail<'a>,
}

#[derive(Template)]
#[template(path = "mail/update/html.html")]
struct UpdateHtml<'a> {
    m: &'a Mail<'a>,
}

#[derive(Template)]
#[template(path = "mail/cancellation/text.txt")]
struct CancellationText<'a> {
    m: &'a Mail<'a>,
}

#[derive(Template)]
#[template(path = "mail/cancellation/html.html")]
struct CancellationHtml<'a> {
    m: &'a Mail<'a>,
}

#[derive(Template)]
#[template(path = "mail/reminder/text.txt")]
struct ReminderText<'a> {
    m: &'a Mail<'a>,
}

#[derive(Template)]
#[template(path = "mail/reminder/html.html")]
struct ReminderHtml<'a> {
    m: &'a Mail<'a>,
}

#[derive(Template)]
#[template(path = "mail/deadline_reminder/text.txt")]
struct DeadlineText<'a> {
    m: &'a Mail<'a>,
}

#[derive(Template)]
#[template(path = "mail/deadline_reminder/html.html")]
struct DeadlineHtml<'a> {
    m: &'a Mail<'a>,
}

#[derive(Template)]
#[template(path = "mail/answer_copy/text.txt")]
struct AnswerCopyText<'a> {
    m: &'a Mail<'a>,
}

#[derive(Template)]
#[template(path = "mail/answer_copy/html.html")]
struct AnswerCopyHtml<'a> {
    m: &'a Mail<'a>,
}

#[derive(Template)]
#[template(path = "mail/notice/text.txt")]
struct NoticeText<'a> {
    m: &'a Mail<'a>,
}

#[derive(Template)]
#[template(path = "mail/notice/html.html")]
struct NoticeHtml<'a> {
    m: &'a Mail<'a>,
}

#[derive(Template)]
#[template(path = "mail/minutes/text.txt")]
struct MinutesText<'a> {
    m: &'a Mail<'a>,
}

#[derive(Template)]
#[template(path = "mail/minutes/html.html")]
struct MinutesHtml<'a> {
    m: &'a Mail<'a>,
}

#[derive(Template)]
#[template(path = "mail/work/text.txt")]
struct WorkText<'a> {
    m: &'a Mail<'a>,
}

#[derive(Template)]
#[template(path = "mail/work/html.html")]
struct WorkHtml<'a> {
    m: &'a Mail<'a>,
}

#[derive(Template)]
#[template(path = "mail/report_draft/text.txt")]
struct ReportDraftText<'a> {
    m: &'a Mail<'a>,
}

#[derive(Template)]
#[template(path = "mail/report_draft/html.html")]
struct ReportDraftHtml<'a> {
    m: &'a Mail<'a>,
}

/// Subject, text and HTML of one message.
fn bodies(kind: Kind, m: &Mail<'_>) -> Result<(String, String, String), askama::Error> {
    let title = &m.facts.event.title;
    Ok(match kind {
        Kind::Invitation => (
            m.tr_with("email.invitation_subject", "title", title),
            InvitationText { m }.render()?,
            InvitationHtml { m }.render()?,
        ),
        Kind::Update => {
            (m.tr_with("email.update_subject", "title", title), UpdateText { m }.render()?, UpdateHtml { m }.render()?)
        }
        Kind::Cancellation => (
            m.tr_with("email.cancellation_subject", "title", title),
            CancellationText { m }.render()?,
            CancellationHtml { m }.render()?,
        ),
        Kind::Reminder => (
            m.tr_with("email.reminder_subject", "title", title),
            ReminderText { m }.render()?,
            ReminderHtml { m }.render()?,
        ),
        Kind::DeadlineReminder => (
            m.tr_with("email.deadline_subject", "title", title),
            DeadlineText { m }.render()?,
            DeadlineHtml { m }.render()?,
        ),
        Kind::AnswerCopy => (
            m.tr_with("email.answer_subject", "title", title),
            AnswerCopyText { m }.render()?,
            AnswerCopyHtml { m }.render()?,
        ),
        Kind::Notice => {
            (m.tr_with("email.notice_subject", "title", title), NoticeText { m }.render()?, NoticeHtml { m }.render()?)
        }
        Kind::Minutes => (
            m.tr_with("email.minutes_subject", "title", title),
            MinutesText { m }.render()?,
            MinutesHtml { m }.render()?,
        ),
        Kind::ReportDraft => (
            m.tr_with("email.report_draft_subject", "title", title),
            ReportDraftText { m }.render()?,
            ReportDraftHtml { m }.render()?,
        ),
        Kind::Work => (m.work_subject(), WorkText { m }.render()?, WorkHtml { m }.render()?),
        // Built by `build_digest` and `build_password_reset`: they speak of no event.
        Kind::Digest | Kind::PasswordReset | Kind::AccountInvitation | Kind::EmailConfirm | Kind::EmailChanged => {
            return Err(askama::Error::Custom("a message without an event".into()));
        }
    })
}

/// The streak digest's message, from what its row says.
pub struct DigestMail<'a> {
    pub locale: Locale,
    pub name: &'a str,
    pub digest: crate::outbox::digest::Digest,
    pub url: String,
}

impl DigestMail<'_> {
    pub fn tr<'k>(&self, key: &'k str) -> &'k str {
        i18n::t(self.locale, key)
    }

    pub fn tr_with(&self, key: &str, name: &str, value: &str) -> String {
        i18n::render(self.locale, &Msg::new(key).arg(name, value))
    }

    pub fn months(&self, n: &u32) -> String {
        self.tr_with("email.digest_months", "n", &n.to_string())
    }

    pub fn threshold(&self, t: &u32) -> String {
        self.tr_with("email.digest_threshold", "n", &t.to_string())
    }
}

#[derive(Template)]
#[template(path = "mail/digest/text.txt")]
struct DigestText<'a> {
    m: &'a DigestMail<'a>,
}

#[derive(Template)]
#[template(path = "mail/digest/html.html")]
struct DigestHtml<'a> {
    m: &'a DigestMail<'a>,
}

/// Builds a digest row's message; Err(text) when it can never be sent.
pub fn build_digest(mailer: &Mailer, row: &outbox::Model) -> Result<Message, String> {
    let digest: crate::outbox::digest::Digest =
        serde_json::from_str(row.payload.as_deref().unwrap_or("")).map_err(|e| format!("bad digest: {e}"))?;
    let locale = Locale::from_tag(&row.locale).unwrap_or(mailer.settings.default_locale);
    let base = mailer.settings.base_url.as_str().trim_end_matches('/');
    let m = DigestMail { locale, name: &row.recipient_name, url: format!("{base}/records/streaks"), digest };
    let subject = m.tr_with("email.digest_subject", "month", &m.digest.month);
    let render = |e: askama::Error| format!("cannot render: {e}");
    let (text, html) = (DigestText { m: &m }.render().map_err(render)?, DigestHtml { m: &m }.render().map_err(render)?);
    envelope(mailer, row, subject)?
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| format!("cannot build the message: {e}"))
}

/// A message to one person about their account or address, most with a one-use link (`url`)
/// and how long it works (`valid`, in the unit its text names: minutes for a forgotten password,
/// days for an account invitation, hours for a new address); the notice to an old address has the
/// new one, masked, as `url`.
pub struct PersonalMail<'a> {
    pub locale: Locale,
    pub name: &'a str,
    pub url: String,
    pub valid: String,
}

impl PersonalMail<'_> {
    pub fn tr<'k>(&self, key: &'k str) -> &'k str {
        i18n::t(self.locale, key)
    }

    pub fn tr_with(&self, key: &str, name: &str, value: &str) -> String {
        i18n::render(self.locale, &Msg::new(key).arg(name, value))
    }
}

macro_rules! personal_templates {
    ($($text:ident = $text_path:literal, $html:ident = $html_path:literal;)*) => {$(
        #[derive(Template)]
        #[template(path = $text_path)]
        struct $text<'a> {
            m: &'a PersonalMail<'a>,
        }

        #[derive(Template)]
        #[template(path = $html_path)]
        struct $html<'a> {
            m: &'a PersonalMail<'a>,
        }
    )*};
}

personal_templates! {
    ResetText = "mail/password_reset/text.txt", ResetHtml = "mail/password_reset/html.html";
    WelcomeText = "mail/account_invitation/text.txt", WelcomeHtml = "mail/account_invitation/html.html";
    ConfirmText = "mail/email_confirm/text.txt", ConfirmHtml = "mail/email_confirm/html.html";
    ChangedText = "mail/email_changed/text.txt", ChangedHtml = "mail/email_changed/html.html";
}

/// Builds a personal message: `url` (`path` on this server when it starts with '/'), how long it
/// works, its subject's key, and its text and HTML rendered by `render`.
fn personal(
    mailer: &Mailer,
    row: &outbox::Model,
    (url, valid, subject): (String, i64, &str),
    render: impl Fn(&PersonalMail<'_>) -> askama::Result<(String, String)>,
) -> Result<Message, String> {
    let locale = Locale::from_tag(&row.locale).unwrap_or(mailer.settings.default_locale);
    let base = mailer.settings.base_url.as_str().trim_end_matches('/');
    let url = if url.starts_with('/') { format!("{base}{url}") } else { url };
    let m = PersonalMail { locale, name: &row.recipient_name, url, valid: valid.to_string() };
    let (text, html) = render(&m).map_err(|e| format!("cannot render: {e}"))?;
    envelope(mailer, row, m.tr(subject).to_owned())?
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| format!("cannot build the message: {e}"))
}

/// Builds a forgotten password's message with the link of `token`.
pub fn build_password_reset(mailer: &Mailer, row: &outbox::Model, token: &str) -> Result<Message, String> {
    let valid = crate::accounts::service::reset::VALID.num_minutes();
    personal(mailer, row, (format!("/password/reset/{token}"), valid, "email.reset_subject"), |m| {
        Ok((ResetText { m }.render()?, ResetHtml { m }.render()?))
    })
}

/// Builds a member's invitation to open an account, with the link of `token` (valid `days`).
pub fn build_account_invitation(
    mailer: &Mailer,
    row: &outbox::Model,
    token: &str,
    days: u32,
) -> Result<Message, String> {
    personal(mailer, row, (format!("/welcome/{token}"), days.into(), "email.welcome_subject"), |m| {
        Ok((WelcomeText { m }.render()?, WelcomeHtml { m }.render()?))
    })
}

/// Builds the confirmation of a new address, with the link of `token`.
pub fn build_email_confirm(mailer: &Mailer, row: &outbox::Model, token: &str) -> Result<Message, String> {
    let valid = crate::members::service::email::VALID.num_hours();
    personal(mailer, row, (format!("/me/email/{token}"), valid, "email.confirm_subject"), |m| {
        Ok((ConfirmText { m }.render()?, ConfirmHtml { m }.render()?))
    })
}

/// Builds the notice to the old address that a change to another one was asked (the row's
/// payload: the new address, masked).
pub fn build_email_changed(mailer: &Mailer, row: &outbox::Model) -> Result<Message, String> {
    let masked = row.payload.clone().unwrap_or_default();
    personal(mailer, row, (masked, 0, "email.changed_subject"), |m| {
        Ok((ChangedText { m }.render()?, ChangedHtml { m }.render()?))
    })
}

/// A message's sender, recipient, subject and Message-ID (from the outbox row).
fn envelope(mailer: &Mailer, row: &outbox::Model, subject: String) -> Result<lettre::message::MessageBuilder, String> {
    let from: Mailbox = mailer.settings.config.mail.from.parse().map_err(|e| format!("mail.from: {e}"))?;
    let to = row
        .recipient
        .parse()
        .map(|address| Mailbox::new(Some(row.recipient_name.clone()), address))
        .map_err(|e| format!("bad address {:?}: {e}", row.recipient))?;
    let domain = from.email.domain().to_owned();
    Ok(Message::builder().from(from).to(to).subject(subject).message_id(Some(format!("<{}@{domain}>", row.message_id))))
}

/// Builds the message of an outbox row; Err(text) when it can never be sent (a bad address).
pub fn build(
    mailer: &Mailer,
    row: &outbox::Model,
    facts: &EventFacts,
    (answer, guest): (Option<(Answer, Option<String>)>, bool),
    token: Option<&str>,
) -> Result<Message, String> {
    let kind = row.kind;
    let locale = Locale::from_tag(&row.locale).unwrap_or(mailer.settings.default_locale);
    let base = mailer.settings.base_url.as_str().trim_end_matches('/');
    // Every kind but cancellations links to the answer page.
    let answer_url = token.filter(|_| kind != Kind::Cancellation).map(|t| format!("{base}/answer/{t}"));
    let answers_open = kind != Kind::Cancellation
        && facts.event.state == crate::events::rules::EventState::Scheduled
        && mailer.now() < crate::invitations::closes_at(facts.event.answer_deadline, facts.event.starts_at);
    let work = match kind {
        Kind::Work => Some(
            serde_json::from_str::<Work>(row.payload.as_deref().unwrap_or(""))
                .map_err(|e| format!("bad work message: {e}"))?,
        ),
        _ => None,
    };
    let mail = Mail {
        work,
        locale,
        name: &row.recipient_name,
        facts,
        answer,
        answer_url,
        answers_open,
        guest,
        sequence: row.sequence,
    };
    let (subject, text, html) = bodies(kind, &mail).map_err(|e| format!("cannot render: {e}"))?;
    let builder = envelope(mailer, row, subject)?;
    let (method, ics) = match kind {
        Kind::Cancellation => ("CANCEL", &facts.ics_cancel),
        _ => ("REQUEST", &facts.ics_request),
    };
    let calendar = SinglePart::builder()
        .header(
            ContentType::parse(&format!("text/calendar; charset=utf-8; method={method}"))
                .map_err(|e| format!("content type: {e}"))?,
        )
        .header(lettre::message::header::ContentDisposition::attachment("invite.ics"))
        .body(ics.clone());
    // The minutes and the report are no invitation: no calendar part that would put the meeting
    // back in calendars.
    let body = if matches!(kind, Kind::Minutes | Kind::ReportDraft | Kind::Work) {
        MultiPart::alternative_plain_html(text, html)
    } else {
        MultiPart::mixed().multipart(MultiPart::alternative_plain_html(text, html)).singlepart(calendar)
    };
    builder.multipart(body).map_err(|e| format!("cannot build the message: {e}"))
}
