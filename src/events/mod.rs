//! Events: party-day activities with agenda, guests, co-organisers, audience and monthly series;
//! their lists, calendar and iCalendar output.
pub mod ical;
pub mod series;
