//! Integration tests: the whole app on port 0, against a fresh SQLite file and a fresh database
//! in a PostgreSQL cluster the harness starts itself. One binary, so it is linked once.

mod helpers;
mod pg_cluster;

mod admin;
mod alerts;
mod amendments;
mod attributes;
mod cli;
mod compression;
mod crash;
mod dashboard;
mod digests;
mod exit_reason;
mod faults;
mod headers;
mod health;
mod hostile_queries;
mod identification;
mod inbox;
mod ingest;
mod instances;
mod journey;
mod notices;
mod openapi;
mod page_views;
mod preferences;
mod privacy;
mod report;
mod saved_themes;
mod server_fns;
mod smtp;
mod summary;
mod survey_page;
mod targeting;
mod visitor;
mod webhooks;
