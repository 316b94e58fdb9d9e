//! Markdown rendered to safe HTML.
