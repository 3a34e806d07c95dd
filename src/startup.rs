//! Builds the running service from [`Settings`]: pool, migrations, state and server.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use anyhow::Context;

use crate::auth::{LoginThrottle, PasswordHasher};
use crate::config::Settings;
use crate::db::{self, DbPool};
use crate::http;

/// Shared by every request handler.
pub struct AppState {
    pub pool: DbPool,
    pub settings: Arc<Settings>,
    pub hasher: PasswordHasher,
    pub login_throttle: LoginThrottle,
    /// Our own origin, as browsers send it in `Origin`.
    pub origin: String,
    /// Wakes the email worker after a commit that queued mail.
    pub outbox: crate::email::OutboxSignal,
    /// Per-address limits on public endpoints.
    pub public_limits: crate::rate_limit::PublicLimits,
}

pub struct Application {
    port: u16,
    server: Server,
    pool: DbPool,
}

impl Application {
    /// Applies migrations and binds the listener (port 0 picks a free port; see [`Self::port`]).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let pool = db::build_pool(&settings);
        let migrate_pool = pool.clone();
        let applied = web::block(move || -> anyhow::Result<Vec<String>> {
            let mut conn = migrate_pool
                .get()
                .context("cannot connect to the database")?;
            db::run_migrations(&mut conn)
        })
        .await
        .context("migration task failed")??;
        if !applied.is_empty() {
            tracing::info!(count = applied.len(), "applied database migrations");
        }

        let listener = TcpListener::bind(settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let hasher = PasswordHasher::default();
        let warm = hasher.clone();
        web::block(move || warm.warm_up())
            .await
            .context("warm-up failed")?;

        let state = web::Data::new(AppState {
            pool: pool.clone(),
            origin: settings.origin(),
            settings: Arc::new(settings),
            hasher,
            login_throttle: LoginThrottle::default(),
            outbox: crate::email::OutboxSignal::default(),
            public_limits: crate::rate_limit::PublicLimits::default(),
        });
        let workers = state.settings.workers;
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(http::middleware::security_headers())
                .wrap(middleware::from_fn(http::middleware::request_log))
                .configure(http::configure)
        })
        .workers(workers)
        .listen(listener)?
        .shutdown_timeout(30)
        .run();
        Ok(Self { port, server, pool })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// A handle to stop the server gracefully (tests, embedding).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM or SIGINT, then finishes the requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
