//! Partyday: the party-day life of Party branches. The binary (`main.rs`) is a thin CLI over
//! this library, which the integration tests drive too.
pub mod accounts;
pub mod actor;
pub mod app;
pub mod attendance;
pub mod audit;
pub mod backup;
pub mod branches;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod events;
pub mod forms;
pub mod home;
pub mod i18n;
pub mod invitations;
pub mod mail;
pub mod markdown;
pub mod members;
pub mod minutes;
pub mod records;
pub mod reports;
pub mod sheet;
pub mod state;
pub mod web;
