//! Integration tests: one binary, one harness (`helpers`), a module per feature.

mod auth;
mod authz;
mod cli;
mod email_safety;
mod events;
mod faults;
mod group_commit;
mod health;
mod helpers;
mod invitation_requests;
mod invitations;
mod limits;
mod manage;
mod metrics;
mod migrations;
mod nominations;
mod openapi;
mod organizers;
mod outbox;
mod pages;
mod registration;
mod scholarships;
mod secrets;
mod smtp;
mod stats;
mod transfer;
