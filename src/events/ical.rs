//! iCalendar (RFC 5545) output for events.
