//! Monthly series rules and their dates.
