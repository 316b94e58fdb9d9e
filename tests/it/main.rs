//! Integration tests: each test starts Partyday on a random port with a fresh database (a temp
//! SQLite file, or a new PostgreSQL database when TEST_DATABASE_URL names a server) and drives
//! it over HTTP like a browser would.
#![allow(clippy::unwrap_used)]

mod helpers;

mod accounts;
mod attendance;
mod audit;
mod auth;
mod backup;
mod branches;
mod browser;
mod cli;
mod clock;
mod csrf;
mod events;
mod held;
mod home;
mod i18n;
mod import;
mod mail;
mod members;
mod minutes;
mod permissions;
mod planning;
mod platform;
mod proxy;
mod records;
mod records_read;
mod reports;
mod reset;
mod signatures;
mod smaller;
mod smtp;
mod structure;
mod summary;
mod todo;
mod upgrade;
mod welcome;
