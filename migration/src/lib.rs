//! Schema migrations, applied in order at start-up (`partyday migrate` or `partyday serve`).
//! One file per change; a released migration is never edited, only followed by another.
pub use sea_orm_migration::prelude::*;

mod m20261121_000001_accounts;
mod m20261121_000002_branches_members;
mod m20261121_000003_events;
mod m20261122_000004_event_indexes;
mod m20261122_000005_outbox;
mod m20261123_000006_attendance;
mod m20261124_000007_event_month_index;
mod m20261125_000008_invitation_counts_index;
mod m20261202_000009_event_revision_and_consent;
mod m20261203_000010_minutes;
mod m20261204_000011_reports;
mod m20261205_000012_report_review;
mod m20261206_000013_records_rules;
mod m20261207_000014_records_indexes;
mod m20261208_000015_outbox_time_index;
mod m20261209_000016_exemption_withdrawals;
mod m20261210_000017_unexcused_index;
mod m20261211_000018_non_voting_count;
mod m20261213_000020_signatures_on_behalf;
mod m20261214_000021_report_lead_once;
mod m20261215_000022_reports_published_version;
mod m20261216_000023_minutes_signed_version;
mod m20261219_000026_password_resets;
mod m20261220_000027_account_invitations;
mod m20261221_000028_email_changes;
mod m20261222_000029_audit_entries;
mod m20261224_000031_kept_index;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_accounts::Migration),
            Box::new(m20261121_000002_branches_members::Migration),
            Box::new(m20261121_000003_events::Migration),
            Box::new(m20261122_000004_event_indexes::Migration),
            Box::new(m20261122_000005_outbox::Migration),
            Box::new(m20261123_000006_attendance::Migration),
            Box::new(m20261124_000007_event_month_index::Migration),
            Box::new(m20261125_000008_invitation_counts_index::Migration),
            Box::new(m20261202_000009_event_revision_and_consent::Migration),
            Box::new(m20261203_000010_minutes::Migration),
            Box::new(m20261204_000011_reports::Migration),
            Box::new(m20261205_000012_report_review::Migration),
            Box::new(m20261206_000013_records_rules::Migration),
            Box::new(m20261207_000014_records_indexes::Migration),
            Box::new(m20261208_000015_outbox_time_index::Migration),
            Box::new(m20261209_000016_exemption_withdrawals::Migration),
            Box::new(m20261210_000017_unexcused_index::Migration),
            Box::new(m20261211_000018_non_voting_count::Migration),
            Box::new(m20261213_000020_signatures_on_behalf::Migration),
            Box::new(m20261214_000021_report_lead_once::Migration),
            Box::new(m20261215_000022_reports_published_version::Migration),
            Box::new(m20261216_000023_minutes_signed_version::Migration),
            Box::new(m20261219_000026_password_resets::Migration),
            Box::new(m20261220_000027_account_invitations::Migration),
            Box::new(m20261221_000028_email_changes::Migration),
            Box::new(m20261222_000029_audit_entries::Migration),
            Box::new(m20261224_000031_kept_index::Migration),
        ]
    }
}
