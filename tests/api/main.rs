//! Integration tests: one binary, one harness (`helpers`), a module per feature.

mod auth;
mod cli;
mod events;
mod health;
mod helpers;
mod migrations;
mod organizers;
