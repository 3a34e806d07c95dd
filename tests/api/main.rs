//! Integration tests: one binary, one harness (`helpers`), a module per feature.

mod auth;
mod cli;
mod events;
mod health;
mod helpers;
mod invitations;
mod manage;
mod migrations;
mod organizers;
mod outbox;
mod pages;
mod registration;
mod smtp;
