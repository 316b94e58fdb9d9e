//! Activity reports (活动报道): the post a branch publishes on its association's Activities page
//! after a party day or a conference. So far: the draft's words (`rules::draft`), the table, and
//! the event clock's pass that drafts a report for each ended event that publishes.
pub mod entity;
pub mod rules;
pub mod service;
